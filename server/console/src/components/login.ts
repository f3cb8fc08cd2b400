// The login form. The session lives in an HttpOnly cookie set by the server; nothing is stored here.
import { LitElement, css, html, nothing } from 'lit';
import { api, ApiError } from '../api.js';
import { translator, type Lang } from '../i18n.js';
import type { AgentSessionResponse } from '@servus/shared';
import { base } from '../styles.js';
import { warmUpAudio } from '../notify.js';

export class ServusLogin extends LitElement {
  static override properties = { lang: {}, _error: { state: true }, _busy: { state: true } };
  declare lang: Lang;
  declare _error: string;
  declare _busy: boolean;

  constructor() {
    super();
    this.lang = 'en';
    this._error = '';
    this._busy = false;
  }

  private async _submit(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const t = translator(this.lang);
    // The login click is a user gesture: prepare the audio for the first alert now (creating it
    // can take a second on some machines, which must not delay showing a new chat later).
    warmUpAudio();
    this._busy = true;
    this._error = '';
    try {
      const r = await api<AgentSessionResponse>('/api/auth/login', {
        method: 'POST',
        body: { email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') },
      });
      this.dispatchEvent(new CustomEvent('signed-in', { detail: r.agent, bubbles: true, composed: true }));
    } catch (err) {
      this._error = err instanceof ApiError && err.code === 'RATE_LIMITED' ? t('locked') : t('loginFailed');
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const t = translator(this.lang);
    return html`<form @submit=${this._submit}>
      <div class="brand">Servus</div>
      <label>${t('email')}<input name="email" type="email" autocomplete="username" required autofocus /></label>
      <label>${t('password')}<input name="password" type="password" autocomplete="current-password" required /></label>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      <button class="primary" type="submit" ?disabled=${this._busy}>${t('login')}</button>
      <button
        type="button"
        class="ghost small lang"
        @click=${() => this.dispatchEvent(new CustomEvent('lang', { detail: this.lang === 'de' ? 'en' : 'de' }))}
      >
        ${this.lang === 'de' ? 'English' : 'Deutsch'}
      </button>
    </form>`;
  }

  static override styles = [
    base,
    css`
      :host {
        display: grid;
        place-items: center;
        min-height: 100vh;
        background: var(--bg);
      }
      form {
        width: 320px;
        display: grid;
        gap: 14px;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: 12px;
        padding: 28px;
        box-shadow: 0 8px 30px rgba(20, 30, 50, 0.06);
      }
      .brand {
        font-size: 20px;
        font-weight: 700;
      }
      label {
        display: grid;
        gap: 4px;
        font-size: 13px;
        color: var(--muted);
      }
      button.primary {
        padding: 8px;
      }
      .lang {
        justify-self: center;
        color: var(--muted);
        font-size: 12px;
      }
      p {
        margin: 0;
      }
    `,
  ];
}
customElements.define('servus-login', ServusLogin);
declare global {
  interface HTMLElementTagNameMap {
    'servus-login': ServusLogin;
  }
}
