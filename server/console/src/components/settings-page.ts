// Settings: agents (admins add, edit and remove them), canned responses, the website (snippet and
// widget settings, in site-settings.ts), the agent's own profile and password, and this browser's
// preferences.
import { LitElement, css, html, nothing } from 'lit';
import type { AgentListResponse, AgentRow, AgentSessionResponse, CannedListResponse } from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api } from '../api.js';
import { clearFieldErrors, reportFormError, type FieldMap } from '../field-errors.js';
import { savePrefs } from '../notify.js';
import type { Key } from '../i18n.js';
import { base, cardPage, onePane, tables } from '../styles.js';
import './site-settings.js';
import './privacy-settings.js';

/** Where the API's paths are in this page's forms (field-errors.ts). */
const AGENT_FIELDS: FieldMap = {
  name: 'name',
  email: 'email',
  password: 'password',
  role: 'role',
  capacity: 'capacity',
  siteKeys: 'site',
  active: 'active',
};
const CANNED_FIELDS: FieldMap = { shortcut: { field: 'shortcut', hint: 'hint_shortcut' }, text: 'text' };
const PROFILE_FIELDS: FieldMap = { name: 'name', initials: { field: 'initials', hint: 'hint_initials' }, lang: 'lang' };
const PASSWORD_FIELDS: FieldMap = { current: 'current', next: 'next' };

export class ServusSettings extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    tick: { type: Number },
    _msg: { state: true },
    _err: { state: true },
    _editing: { state: true },
  };
  declare ctx: ConsoleContext;
  declare tick: number;
  declare _msg: Record<string, string>;
  declare _err: Record<string, string>;
  /** The agent whose row is open for editing (admins). */
  declare _editing: string | null;

  private _agents = new QueryController<AgentListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['agents'],
      queryFn: ({ signal }) => api<AgentListResponse>('/api/agents', { signal }),
      refetchInterval: 15_000,
    }),
  );
  private _canned = new QueryController<CannedListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({ queryKey: ['canned'], queryFn: ({ signal }) => api<CannedListResponse>('/api/canned', { signal }) }),
  );

  constructor() {
    super();
    this._msg = {};
    this._err = {};
    this._editing = null;
  }

  /** An admin's edit of one agent (PATCH /api/agents/:id). */
  private _editForm(a: AgentRow) {
    const { t, me } = this.ctx;
    return html`<tr class="editing" data-edit=${a.email}>
      <td colspan="6">
        <form
          class="edit-agent"
          @submit=${(e: SubmitEvent) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            const data = new FormData(f);
            void this._run(
              'agents',
              null,
              async () => {
                await api(`/api/agents/${encodeURIComponent(a.id)}`, {
                  method: 'PATCH',
                  body: {
                    name: String(data.get('name') ?? ''),
                    role: String(data.get('role') ?? a.role),
                    capacity: Number(data.get('capacity')) || a.capacity,
                    siteKeys: data.getAll('site').map(String),
                    active: data.get('active') === 'on',
                  },
                });
                this._editing = null;
              },
              [['agents']],
              AGENT_FIELDS,
              f,
            );
          }}
        >
          <label>${t('name')} <input name="name" required maxlength="200" .value=${a.name} /></label>
          <label
            >${t('role')}
            <select name="role" .value=${a.role} ?disabled=${a.id === me.id}>
              <option value="agent">agent</option>
              <option value="admin">admin</option>
            </select></label
          >
          <label>${t('capacity')} <input name="capacity" type="number" min="1" max="50" class="num" .value=${String(a.capacity)} /></label>
          <fieldset>
            <legend>${t('sites')}</legend>
            ${me.siteKeys.map(
              (k) =>
                html`<label class="check"><input type="checkbox" name="site" value=${k} .checked=${a.siteKeys.includes(k)} /> ${k}</label>`,
            )}
          </fieldset>
          <label class="check"
            ><input type="checkbox" name="active" .checked=${a.active} ?disabled=${a.id === me.id} /> ${t('activeAccount')}</label
          >
          <p class="muted small">${t('editEndsSessions')}</p>
          <div class="row">
            <button class="primary" type="submit">${t('save')}</button>
            <button class="ghost" type="button" @click=${() => (this._editing = null)}>${t('cancel')}</button>
          </div>
        </form>
      </td>
    </tr>`;
  }

  /** Runs a save; `form` is reset after it, a refused field's problem is shown at it in `fieldsIn`. */
  private async _run(
    section: string,
    form: HTMLFormElement | null,
    fn: () => Promise<unknown>,
    keys: unknown[][],
    fields: FieldMap = {},
    fieldsIn: HTMLFormElement | null = form,
  ): Promise<void> {
    this._err = { ...this._err, [section]: '' };
    this._msg = { ...this._msg, [section]: '' };
    if (fieldsIn) clearFieldErrors(fieldsIn);
    try {
      await fn();
      form?.reset();
      this._msg = { ...this._msg, [section]: this.ctx.t('saved') };
      for (const k of keys) void this.ctx.qc.invalidateQueries({ queryKey: k });
    } catch (err) {
      this._err = { ...this._err, [section]: reportFormError(fieldsIn, err, fields, this.ctx.t) };
    }
  }

  private _field(form: HTMLFormElement, name: string): string {
    return String(new FormData(form).get(name) ?? '');
  }

  override render() {
    if (!this.ctx) return nothing;
    const { t, me, prefs } = this.ctx;
    const admin = me.role === 'admin';
    const status = (section: string) =>
      html`${this._err[section] ? html`<span class="error small" role="alert">${this._err[section]}</span>` : nothing}
      ${this._msg[section] ? html`<span class="ok small">${this._msg[section]}</span>` : nothing}`;
    return html`<div class="page">
      <section>
        <h2>${t('agents')}</h2>
        <table>
          <thead>
            <tr>
              <th>${t('name')}</th>
              <th>${t('email')}</th>
              <th>${t('role')}</th>
              <th>Status</th>
              <th>${t('openChats')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${(this._agents.data?.agents ?? []).map(
              (a) =>
                html`<tr data-agent=${a.email} class=${a.active ? '' : 'inactive'}>
                    <td>${a.name}${a.active ? nothing : html` <span class="muted small">(${t('deactivated')})</span>`}</td>
                    <td class="muted">${a.email}</td>
                    <td>${a.role}</td>
                    <td><span class="dot ${a.status}"></span>${t(a.status as Key)}</td>
                    <td>${a.openChats} / ${a.capacity}</td>
                    <td>
                      ${
                        admin
                          ? html`<button
                              class="ghost small"
                              data-action="edit"
                              @click=${() => (this._editing = this._editing === a.id ? null : a.id)}
                            >
                              ${t('edit')}
                            </button>`
                          : nothing
                      }
                      ${
                        admin && a.id !== me.id
                          ? html`<button
                              class="ghost small"
                              @click=${() =>
                                confirm(t('confirmRemove')) &&
                                this._run('agents', null, () => api(`/api/agents/${encodeURIComponent(a.id)}`, { method: 'DELETE' }), [
                                  ['agents'],
                                ])}
                            >
                              ${t('remove')}
                            </button>`
                          : nothing
                      }
                    </td>
                  </tr>
                  ${admin && this._editing === a.id ? this._editForm(a) : nothing}`,
            )}
          </tbody>
        </table>
        ${
          admin
            ? html`<form
                class="inline"
                @submit=${(e: SubmitEvent) => {
                  e.preventDefault();
                  const f = e.target as HTMLFormElement;
                  void this._run(
                    'agents',
                    f,
                    () =>
                      api('/api/agents', {
                        method: 'POST',
                        body: {
                          name: this._field(f, 'name'),
                          email: this._field(f, 'email'),
                          password: this._field(f, 'password'),
                          role: this._field(f, 'role'),
                          capacity: Number(this._field(f, 'capacity')) || 3,
                        },
                      }),
                    [['agents']],
                    AGENT_FIELDS,
                  );
                }}
              >
                <input name="name" placeholder=${t('name')} required maxlength="200" />
                <input name="email" type="email" placeholder=${t('email')} required />
                <input name="password" type="password" placeholder=${t('password')} minlength="8" required autocomplete="new-password" />
                <select name="role" aria-label=${t('role')}>
                  <option value="agent">agent</option>
                  <option value="admin">admin</option>
                </select>
                <input name="capacity" type="number" min="1" max="50" value="3" aria-label=${t('capacity')} class="num" />
                <button class="primary" type="submit">${t('addAgent')}</button>
              </form>`
            : nothing
        }
        ${status('agents')}
      </section>

      <section>
        <h2>${t('canned')}</h2>
        <ul class="canned">
          ${(this._canned.data?.canned ?? []).map(
            (c) =>
              html`<li>
                <code>/${c.shortcut}</code><span class="muted">${c.text}</span>
                <button
                  class="ghost small"
                  @click=${() => this._run('canned', null, () => api(`/api/canned/${encodeURIComponent(c.id)}`, { method: 'DELETE' }), [['canned']])}
                >
                  ${t('remove')}
                </button>
              </li>`,
          )}
        </ul>
        <form
          class="inline"
          @submit=${(e: SubmitEvent) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            void this._run(
              'canned',
              f,
              () =>
                api('/api/canned', {
                  method: 'POST',
                  body: { shortcut: this._field(f, 'shortcut').replace(/^\//, ''), text: this._field(f, 'text') },
                }),
              [['canned']],
              CANNED_FIELDS,
            );
          }}
        >
          <input name="shortcut" placeholder="/${t('shortcut').toLowerCase()}" required pattern="/?[A-Za-z0-9_-]+" class="short" />
          <input name="text" placeholder="${t('text')} – {{visitor.name}}" required maxlength="4000" class="grow" />
          <button type="submit">${t('add')}</button>
        </form>
        ${status('canned')}
      </section>

      <servus-site-settings .ctx=${this.ctx} lang=${this.ctx.lang}></servus-site-settings>

      <servus-privacy-settings .ctx=${this.ctx} lang=${this.ctx.lang}></servus-privacy-settings>

      <section>
        <h2>${t('profile')}</h2>
        <form
          class="inline profile"
          @submit=${(e: SubmitEvent) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            const initials = this._field(f, 'initials').trim();
            const lang = this._field(f, 'lang');
            void this._run(
              'profile',
              null,
              async () => {
                const res = await api<AgentSessionResponse>('/api/auth/me', {
                  method: 'PATCH',
                  body: { name: this._field(f, 'name'), initials: initials || null, lang: lang === 'de' || lang === 'en' ? lang : null },
                });
                Object.assign(me, res.agent);
                this.dispatchEvent(new CustomEvent('me-changed', { detail: res.agent, bubbles: true, composed: true }));
              },
              [['agents']],
              PROFILE_FIELDS,
              f,
            );
          }}
        >
          <label>${t('name')} <input name="name" required maxlength="200" .value=${me.name} /></label>
          <label
            >${t('initials')}
            <input
              name="initials"
              maxlength="3"
              pattern="[\\p{L}][\\p{L}\\p{N}]{0,2}"
              title=${t('initialsHint')}
              .value=${me.initials ?? ''}
              class="num"
          /></label>
          <label
            >${t('language')}
            <select name="lang" .value=${me.lang ?? ''}>
              <option value="">${t('langBrowser')}</option>
              <option value="de">Deutsch</option>
              <option value="en">English</option>
            </select></label
          >
          <button class="primary" type="submit">${t('save')}</button>
        </form>
        ${status('profile')}
      </section>

      <section>
        <h2>${t('changePassword')}</h2>
        <form
          class="inline"
          @submit=${(e: SubmitEvent) => {
            e.preventDefault();
            const f = e.target as HTMLFormElement;
            void this._run(
              'password',
              f,
              () =>
                api('/api/auth/password', { method: 'POST', body: { current: this._field(f, 'current'), next: this._field(f, 'next') } }),
              [],
              PASSWORD_FIELDS,
            );
          }}
        >
          <input name="current" type="password" placeholder=${t('currentPassword')} required autocomplete="current-password" />
          <input name="next" type="password" placeholder=${t('newPassword')} required minlength="8" autocomplete="new-password" />
          <button type="submit">${t('save')}</button>
        </form>
        ${status('password')}
      </section>

      <section>
        <h2>${t('preferences')}</h2>
        <label class="check"
          ><input
            type="checkbox"
            .checked=${prefs.sound}
            @change=${(e: Event) => {
              prefs.sound = (e.target as HTMLInputElement).checked;
              savePrefs(prefs);
            }}
          />
          ${t('sound')}</label
        >
        <label class="check"
          ><input
            type="checkbox"
            .checked=${prefs.notifications}
            @change=${(e: Event) => {
              prefs.notifications = (e.target as HTMLInputElement).checked;
              savePrefs(prefs);
              if (prefs.notifications && typeof Notification !== 'undefined' && Notification.permission === 'default')
                void Notification.requestPermission().then(() => this.requestUpdate());
            }}
          />
          ${t('notifications')}
          ${
            typeof Notification !== 'undefined' && Notification.permission === 'default'
              ? html`<button class="small" @click=${() => void Notification.requestPermission().then(() => this.requestUpdate())}>
                  ${t('enable')}
                </button>`
              : nothing
          }</label
        >
      </section>
    </div>`;
  }

  static override styles = [
    base,
    cardPage,
    tables,
    css`
      .page {
        max-width: 880px;
      }
      @media ${onePane} {
        servus-site-settings {
          padding: 12px;
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .dot {
        display: inline-block;
        width: 7px;
        height: 7px;
        border-radius: 50%;
        background: #adb5bd;
        margin-right: 6px;
      }
      .dot.online {
        background: #40c057;
      }
      .dot.away {
        background: #fab005;
      }
      form.inline {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
      }
      .num {
        width: 64px;
      }
      .short {
        width: 140px;
      }
      .grow {
        flex: 1;
        min-width: 200px;
      }
      ul.canned {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      ul.canned li {
        display: grid;
        grid-template-columns: 140px 1fr auto;
        gap: 10px;
        align-items: center;
        padding: 5px 0;
        border-bottom: 1px solid #f3f4f6;
      }
      code {
        font:
          12.5px ui-monospace,
          monospace;
      }
      .ok {
        color: var(--ok);
      }
      .check {
        display: flex;
        gap: 8px;
        align-items: center;
      }
    `,
  ];
}
customElements.define('servus-settings', ServusSettings);
declare global {
  interface HTMLElementTagNameMap {
    'servus-settings': ServusSettings;
  }
}
