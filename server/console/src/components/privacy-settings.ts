// Settings → Privacy (admins, docs/privacy.md): find a person by email, visitor id or conversation,
// export everything about them as JSON, erase them; each site's retention period and its last run;
// the audit log with a download. Everything shown is text (Lit escapes it).
import { LitElement, css, html, nothing } from 'lit';
import type {
  AuditListResponse,
  PrivacyEraseResponse,
  PrivacyPersonResponse,
  RetentionStatusResponse,
  SiteListResponse,
  SiteResponse,
} from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api, errorText } from '../api.js';
import { clearFieldErrors, reportFormError, type FieldMap } from '../field-errors.js';
import { translator, type Key } from '../i18n.js';
import { base } from '../styles.js';

type By = 'email' | 'visitorId' | 'conversationId';

/** Where the API's paths are in the search and retention forms (field-errors.ts). */
const FIND_FIELDS: FieldMap = { email: 'q', visitorId: 'q', conversationId: 'q' };
const RETENTION_FIELDS: FieldMap = { 'settings.privacy.retentionDays': 'days' };

export class ServusPrivacySettings extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    _by: { state: true },
    _query: { state: true },
    _person: { state: true },
    _msg: { state: true },
    _err: { state: true },
    _site: { state: true },
  };
  declare ctx: ConsoleContext;
  declare _by: By;
  declare _query: string;
  declare _person: PrivacyPersonResponse['person'] | null;
  declare _msg: string;
  declare _err: string;
  declare _site: string;

  private _sites = new QueryController<SiteListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({ queryKey: ['sites'], queryFn: ({ signal }) => api<SiteListResponse>('/api/sites', { signal }) }),
  );
  private _retention = new QueryController<RetentionStatusResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['privacy', 'retention', this._siteKey()],
      queryFn: ({ signal }) =>
        api<RetentionStatusResponse>(`/api/privacy/sites/${encodeURIComponent(this._siteKey())}/retention`, { signal }),
      // Admins only: an agent's console asks for nothing it would be refused.
      enabled: this.ctx?.me.role === 'admin' && Boolean(this._siteKey()),
    }),
  );
  private _audit = new QueryController<AuditListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['privacy', 'audit'],
      queryFn: ({ signal }) => api<AuditListResponse>('/api/privacy/audit?limit=50', { signal }),
      enabled: this.ctx?.me.role === 'admin',
    }),
  );

  constructor() {
    super();
    this._by = 'email';
    this._query = '';
    this._person = null;
    this._msg = '';
    this._err = '';
    this._site = '';
  }

  private _siteKey(): string {
    return this._site || this._sites.data?.sites[0]?.key || '';
  }

  private _params(): string {
    return `${this._by}=${encodeURIComponent(this._query.trim())}`;
  }

  private async _find(form: HTMLFormElement): Promise<void> {
    this._err = this._msg = '';
    clearFieldErrors(form);
    try {
      this._person = (await api<PrivacyPersonResponse>(`/api/privacy/person?${this._params()}`)).person;
      void this.ctx.qc.invalidateQueries({ queryKey: ['privacy', 'audit'] });
    } catch (err) {
      this._person = null;
      this._err = reportFormError(form, err, FIND_FIELDS, this.ctx.t);
    }
  }

  private async _erase(): Promise<void> {
    const { t } = this.ctx;
    const tp = translator(this.ctx.lang);
    if (!confirm(t('privacyConfirmErase'))) return;
    this._err = this._msg = '';
    try {
      const { erased } = await api<PrivacyEraseResponse>('/api/privacy/erase', {
        method: 'POST',
        body: { [this._by]: this._query.trim(), confirm: true },
      });
      this._person = null;
      this._msg = tp('privacyErased', { visitors: erased.visitors, conversations: erased.conversations });
      void this.ctx.qc.invalidateQueries({ queryKey: ['privacy'] });
    } catch (err) {
      this._err = errorText(err, t);
    }
  }

  private async _saveRetention(form: HTMLFormElement): Promise<void> {
    const raw = String(new FormData(form).get('days') ?? '').trim();
    this._err = this._msg = '';
    clearFieldErrors(form);
    try {
      const key = this._siteKey();
      const { site } = await api<SiteResponse>(`/api/sites/${encodeURIComponent(key)}/settings`);
      const privacy = { ...(site.settings.privacy ?? {}) };
      if (raw) privacy.retentionDays = Number(raw);
      else delete privacy.retentionDays;
      await api(`/api/sites/${encodeURIComponent(key)}/settings`, { method: 'PATCH', body: { settings: { privacy } } });
      this._msg = this.ctx.t('saved');
      void this.ctx.qc.invalidateQueries({ queryKey: ['privacy'] });
    } catch (err) {
      this._err = reportFormError(form, err, RETENTION_FIELDS, this.ctx.t);
    }
  }

  override render() {
    if (!this.ctx || this.ctx.me.role !== 'admin') return nothing;
    const { t, lang } = this.ctx;
    const tp = translator(lang);
    const when = (at: number) => new Date(at).toLocaleString(lang === 'de' ? 'de-AT' : 'en-GB');
    const person = this._person;
    const retention = this._retention.data;
    return html`<section data-section="privacy">
      <h2>${t('privacy')}</h2>
      <h3>${t('privacyFind')}</h3>
      <form
        class="inline"
        @submit=${(e: SubmitEvent) => {
          e.preventDefault();
          void this._find(e.target as HTMLFormElement);
        }}
      >
        <select
          name="by"
          aria-label=${t('privacyFind')}
          .value=${this._by}
          @change=${(e: Event) => (this._by = (e.target as HTMLSelectElement).value as By)}
        >
          ${(['email', 'visitorId', 'conversationId'] as const).map((b) => html`<option value=${b}>${t(`privacyBy_${b}` as Key)}</option>`)}
        </select>
        <input
          name="q"
          aria-label=${t('privacySearch')}
          required
          maxlength="254"
          class="grow"
          .value=${this._query}
          @input=${(e: Event) => (this._query = (e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">${t('privacySearch')}</button>
      </form>
      ${
        person
          ? person.visitors.length
            ? html`<div class="found" data-found>
                <p>${tp('privacyFound', { visitors: person.visitors.length, conversations: person.conversations.length })}</p>
                <ul>
                  ${person.visitors.map((v) => html`<li><code>${v.id}</code> ${v.name ?? ''} ${v.email ?? ''} <span class="muted">${v.siteKey}</span></li>`)}
                  ${person.conversations.map((c) => html`<li><code>${c.id}</code> ${c.status} <span class="muted">${when(c.createdAt)}</span></li>`)}
                </ul>
                <a class="button" href=${`/api/privacy/export?${this._params()}`} download data-action="export">${t('privacyExport')}</a>
                <button class="danger" data-action="erase" @click=${() => void this._erase()}>${t('privacyErase')}</button>
              </div>`
            : html`<p class="muted">${t('privacyNobody')}</p>`
          : nothing
      }

      <h3>${t('privacyRetention')}</h3>
      <form
        class="inline"
        @submit=${(e: SubmitEvent) => {
          e.preventDefault();
          void this._saveRetention(e.target as HTMLFormElement);
        }}
      >
        <select aria-label="Site" .value=${this._siteKey()} @change=${(e: Event) => (this._site = (e.target as HTMLSelectElement).value)}>
          ${(this._sites.data?.sites ?? []).map((s) => html`<option value=${s.key}>${s.name}</option>`)}
        </select>
        <label
          >${t('privacyRetentionDays')}
          <input
            name="days"
            type="number"
            min="1"
            max="3650"
            class="num"
            .value=${retention?.retentionDays ? String(retention.retentionDays) : ''}
          />
        </label>
        <button type="submit">${t('save')}</button>
      </form>
      <p class="muted" data-last-run>
        ${
          retention?.lastRun
            ? tp('privacyLastRun', {
                at: when(retention.lastRun.at),
                conversations: retention.lastRun.conversations,
                visitors: retention.lastRun.visitors,
              })
            : t('privacyNoRun')
        }
      </p>

      <h3>${t('privacyAudit')} <a class="small" href="/api/privacy/audit?download=1&limit=1000" download>${t('privacyDownload')}</a></h3>
      <!-- Focusable: on a phone the log scrolls sideways, by keyboard too. -->
      <table tabindex="0" aria-label=${t('privacyAudit')}>
        <thead>
          <tr>
            <th>${t('privacyWhen')}</th>
            <th>${t('privacyWho')}</th>
            <th>${t('privacyAction')}</th>
            <th>${t('privacySubject')}</th>
          </tr>
        </thead>
        <tbody>
          ${(this._audit.data?.entries ?? []).map(
            (e) =>
              html`<tr data-audit=${e.action}>
                <td class="muted">${when(e.at)}</td>
                <td>${e.actor.name ?? e.actor.type} <span class="muted">${e.address ?? ''}</span></td>
                <td><code>${e.action}</code></td>
                <td class="muted">${e.subject ?? e.siteKey ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${this._err ? html`<span class="error small" role="alert">${this._err}</span>` : nothing}
      ${this._msg ? html`<span class="ok small" role="status">${this._msg}</span>` : nothing}
    </section>`;
  }

  static override styles = [
    base,
    css`
      section {
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 16px 18px;
        display: grid;
        gap: 10px;
      }
      h3 {
        margin: 6px 0 0;
        font-size: 14px;
      }
      form.inline {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
      .grow {
        flex: 1;
        min-width: 200px;
      }
      .num {
        width: 80px;
      }
      ul {
        margin: 0;
        padding-left: 18px;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 13px;
      }
      th {
        text-align: left;
        font-weight: 500;
        color: var(--faint);
        border-bottom: 1px solid var(--line);
      }
      td {
        padding: 4px 8px 4px 0;
        border-bottom: 1px solid #f3f4f6;
      }
      .ok {
        color: var(--ok);
      }
      .danger {
        color: #c92a2a;
      }
    `,
  ];
}
customElements.define('servus-privacy-settings', ServusPrivacySettings);
declare global {
  interface HTMLElementTagNameMap {
    'servus-privacy-settings': ServusPrivacySettings;
  }
}
