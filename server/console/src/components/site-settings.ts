// Settings → Website: the embed snippet for a site, and for admins the widget's settings (colour,
// texts, languages, origins, forms, ratings, notifications, service level, business hours) saved
// with one PATCH, plus the site secret behind a toggle, and a small form to add a website. Agents
// see the snippet and a summary.
import { LitElement, css, html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api } from '../api.js';
import { clearFieldErrors, reportFormError } from '../field-errors.js';
import type { Key } from '../i18n.js';
import { base } from '../styles.js';
import './proactive-editor.js';
import './attachment-settings.js';
import { SITE_LIMITS, type SiteListResponse, type SiteResponse, type SiteView } from '@servus/shared';
import {
  DEFAULT_COLOR,
  NEW_SITE_FIELDS,
  OFFSET_FIELDS,
  SITE_FIELDS,
  WEEKDAYS,
  embedSnippet,
  formFromSite,
  patchFromForm,
  readSiteForm,
  type SiteFormValues,
} from '../site-form.js';

const HEX = /^#[0-9a-fA-F]{6}$/;

export class ServusSiteSettings extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    lang: { type: String },
    _site: { state: true },
    _msg: { state: true },
    _err: { state: true },
    _copy: { state: true },
    _showSecret: { state: true },
    _busy: { state: true },
    _createMsg: { state: true },
    _createErr: { state: true },
    _creating: { state: true },
  };
  declare ctx: ConsoleContext;
  /** Passed down so a language switch re-renders this element. */
  declare lang: string;
  declare _site: string;
  declare _msg: string;
  declare _err: string;
  declare _copy: { ok: boolean; text: string } | null;
  declare _showSecret: boolean;
  declare _busy: boolean;
  declare _createMsg: string;
  declare _createErr: string;
  declare _creating: boolean;

  private _sites = new QueryController<SiteListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({ queryKey: ['sites'], queryFn: ({ signal }) => api<SiteListResponse>('/api/sites', { signal }) }),
  );
  private _settings = new QueryController<SiteResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['site-settings', this._current],
      queryFn: ({ signal }) => api<SiteResponse>(`/api/sites/${encodeURIComponent(this._current)}/settings`, { signal }),
      enabled: !!this._current,
    }),
  );

  constructor() {
    super();
    this._site = '';
    this._msg = '';
    this._err = '';
    this._copy = null;
    this._showSecret = false;
    this._busy = false;
    this._createMsg = '';
    this._createErr = '';
    this._creating = false;
  }

  /** The chosen site, else the first the agent belongs to. */
  private get _current(): string {
    return this._site || this._sites.data?.sites[0]?.key || '';
  }

  private _pick(key: string): void {
    this._site = key;
    this._msg = '';
    this._err = '';
    this._copy = null;
    this._showSecret = false;
    this._createMsg = '';
    this._createErr = '';
  }

  private async _save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const key = this._current;
    const form = e.target as HTMLFormElement;
    const body = patchFromForm(readSiteForm(new FormData(form)));
    this._busy = true;
    this._msg = '';
    this._err = '';
    clearFieldErrors(form);
    try {
      await api(`/api/sites/${encodeURIComponent(key)}/settings`, { method: 'PATCH', body });
      this._msg = this.ctx.t('saved');
      void this.ctx.qc.invalidateQueries({ queryKey: ['site-settings', key] });
      void this.ctx.qc.invalidateQueries({ queryKey: ['sites'] });
    } catch (err) {
      this._err = reportFormError(form, err, SITE_FIELDS, this.ctx.t);
    } finally {
      this._busy = false;
    }
  }

  /**
   * Adds a website (`POST /api/sites`; every admin gets it) and selects it. The live socket is
   * reconnected: the server reads an agent's sites when the socket connects, so only a new
   * connection brings the new site's queue.
   */
  private async _create(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const body = { key: String(data.get('key') ?? '').trim(), name: String(data.get('name') ?? '').trim() };
    this._creating = true;
    this._createMsg = '';
    this._createErr = '';
    clearFieldErrors(form);
    try {
      const { site } = await api<SiteResponse>('/api/sites', { method: 'POST', body });
      this.ctx.qc.setQueryData(['site-settings', site.key], { site });
      void this.ctx.qc.invalidateQueries({ queryKey: ['sites'] });
      this.ctx.socket.reconnectNow();
      this._pick(site.key);
      form.reset();
      this._createMsg = this.ctx.t('siteCreated');
    } catch (err) {
      this._createErr = reportFormError(form, err, NEW_SITE_FIELDS, this.ctx.t);
    } finally {
      this._creating = false;
    }
  }

  private async _copySnippet(snippet: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(snippet);
      this._copy = { ok: true, text: this.ctx.t('copied') };
    } catch {
      // No clipboard (an http:// console, a denied permission): select the code for a manual copy.
      const code = this.renderRoot.querySelector('[data-snippet]');
      if (code) getSelection()?.selectAllChildren(code);
      this._copy = { ok: false, text: this.ctx.t('copyFailed') };
    }
  }

  /** Keeps the colour picker and its hex text in step (the text is what is saved). */
  private _onPicker(e: Event): void {
    const text = (e.target as HTMLInputElement).form?.elements.namedItem('color') as HTMLInputElement | null;
    if (text) text.value = (e.target as HTMLInputElement).value;
  }

  private _onHex(e: Event): void {
    const value = (e.target as HTMLInputElement).value.trim();
    const picker = (e.target as HTMLInputElement).form?.querySelector<HTMLInputElement>('input[type=color]');
    if (picker && HEX.test(value)) picker.value = value.toLowerCase();
  }

  override render() {
    if (!this.ctx) return nothing;
    const { t, me } = this.ctx;
    const admin = me.role === 'admin';
    const sites = this._sites.data?.sites ?? [];
    const key = this._current;
    const site = this._settings.data?.site;
    const snippet = embedSnippet(location.origin, key);
    return html`<h2>${t('website')}</h2>
      ${
        sites.length > 1
          ? html`<label class="field"
              >${t('site')}
              <select data-site-select @change=${(e: Event) => this._pick((e.target as HTMLSelectElement).value)}>
                ${sites.map((s) => html`<option value=${s.key} ?selected=${s.key === key}>${s.name} (${s.key})</option>`)}
              </select></label
            >`
          : nothing
      }
      ${this._sites.result.isError ? html`<span class="error small" role="alert">${this._sites.result.error?.message}</span>` : nothing}
      ${this._sites.result.isSuccess && !sites.length ? html`<p class="faint">${t('noSites')}</p>` : nothing}
      ${
        key
          ? html`<div class="snippet">
              <h3>${t('embedCode')}</h3>
              <pre><code data-snippet>${snippet}</code></pre>
              <div class="row">
                <button type="button" data-copy @click=${() => void this._copySnippet(snippet)}>${t('copy')}</button>
                <span class="muted small">${t('embedHint')}</span>
              </div>
              ${this._copy ? html`<span class="${this._copy.ok ? 'ok' : 'error'} small" role="status">${this._copy.text}</span>` : nothing}
            </div>`
          : nothing
      }
      ${this._settings.result.isError ? html`<span class="error small" role="alert">${this._settings.result.error?.message}</span>` : nothing}
      ${site ? (admin ? keyed(site.key, this._renderForm(site)) : this._renderSummary(site)) : nothing}
      ${site ? html`<servus-proactive-editor .ctx=${this.ctx} lang=${this.ctx.lang} .site=${site}></servus-proactive-editor>` : nothing}
      ${admin ? this._renderCreate() : nothing}`;
  }

  private _renderCreate() {
    const t = this.ctx.t;
    return html`<form class="create" data-site-create @submit=${(e: SubmitEvent) => void this._create(e)}>
      <h3>${t('addSite')}</h3>
      <div class="row">
        <label class="field"
          >${t('siteKey')}
          <input name="key" required minlength="2" maxlength="63" autocomplete="off" spellcheck="false" placeholder="my-shop"
        /></label>
        <label class="field">${t('name')} <input name="name" required maxlength=${SITE_LIMITS.name} /></label>
        <button type="submit" ?disabled=${this._creating}>${t('add')}</button>
      </div>
      <span class="muted small">${t('siteKeyHint')}</span>
      ${this._createErr ? html`<span class="error small" role="alert" data-create-error>${this._createErr}</span>` : nothing}
      ${this._createMsg ? html`<span class="ok small" role="status" data-create-ok>${this._createMsg}</span>` : nothing}
    </form>`;
  }

  private _renderForm(site: SiteView) {
    const t = this.ctx.t;
    const v: SiteFormValues = formFromSite(site);
    const check = (name: keyof SiteFormValues, label: string, checked: boolean) =>
      html`<label class="check"><input type="checkbox" name=${name} .checked=${checked} /> ${label}</label>`;
    return html`<form class="site" data-site-form @submit=${(e: SubmitEvent) => void this._save(e)}>
        <div class="grid">
          <label class="field">${t('name')} <input name="name" required maxlength=${SITE_LIMITS.name} .value=${v.name} /></label>
          <label class="field"
            >${t('color')}
            <span class="row">
              <input
                type="color"
                aria-label=${t('color')}
                .value=${HEX.test(v.color) ? v.color.toLowerCase() : DEFAULT_COLOR}
                @input=${this._onPicker}
              />
              <input name="color" class="hex" maxlength="7" placeholder=${DEFAULT_COLOR} .value=${v.color} @input=${this._onHex} />
            </span>
          </label>
          <label class="field"
            >${t('position')}
            <select name="position">
              <option value="right" ?selected=${v.position === 'right'}>${t('right')}</option>
              <option value="left" ?selected=${v.position === 'left'}>${t('left')}</option>
            </select>
          </label>
          <label class="field"
            >${t('defaultLanguage')}
            <select name="defaultLang">
              <option value="de" ?selected=${v.defaultLang === 'de'}>Deutsch</option>
              <option value="en" ?selected=${v.defaultLang === 'en'}>English</option>
            </select>
          </label>
          <label class="field"
            >${t('widgetTitle')} (de) <input name="titleDe" maxlength=${SITE_LIMITS.title} placeholder=${site.name} .value=${v.titleDe}
          /></label>
          <label class="field"
            >${t('widgetTitle')} (en) <input name="titleEn" maxlength=${SITE_LIMITS.title} placeholder=${site.name} .value=${v.titleEn}
          /></label>
          <label class="field"
            >${t('greeting')} (de) <textarea name="greetingDe" rows="2" maxlength=${SITE_LIMITS.greeting} .value=${v.greetingDe}></textarea>
          </label>
          <label class="field"
            >${t('greeting')} (en) <textarea name="greetingEn" rows="2" maxlength=${SITE_LIMITS.greeting} .value=${v.greetingEn}></textarea>
          </label>
          <label class="field"
            >${t('botName')} <input name="botName" maxlength=${SITE_LIMITS.botName} placeholder="Servus Bot" .value=${v.botName}
          /></label>
          <label class="field"
            >${t('serviceLevel')}
            <input
              name="serviceLevel"
              type="number"
              min=${SITE_LIMITS.firstResponseSeconds.min}
              max=${SITE_LIMITS.firstResponseSeconds.max}
              step="1"
              placeholder="60"
              .value=${v.serviceLevel}
            />
          </label>
          <label class="field"
            >${t('allowedOrigins')}
            <textarea name="allowedOrigins" rows="3" placeholder="https://www.example.com" .value=${v.allowedOrigins}></textarea>
          </label>
          <label class="field">${t('notifyEmails')} <textarea name="notifyEmails" rows="3" .value=${v.notifyEmails}></textarea></label>
        </div>
        <fieldset class="offsets">
          <legend>${t('launcherOffset')}</legend>
          <p class="faint small">${t('launcherOffsetHint')}</p>
          ${OFFSET_FIELDS.map(
            (k) =>
              html`<label class="field"
                >${t(`offset_${k}` as Key)}
                <input
                  name="offset-${k}"
                  type="number"
                  min=${SITE_LIMITS.launcherOffset.min}
                  max=${SITE_LIMITS.launcherOffset.max}
                  step="1"
                  placeholder=${k.startsWith('mobile') ? (k === 'mobileX' ? v.offset.x || '20' : v.offset.y || '20') : '20'}
                  .value=${v.offset[k]}
              /></label>`,
          )}
        </fieldset>
        <fieldset>
          <legend>${t('preChatForm')}</legend>
          ${check('preChatEnabled', t('preChatEnabled'), v.preChatEnabled)} ${check('askName', t('name'), v.askName)}
          ${check('askEmail', t('email'), v.askEmail)}
        </fieldset>
        <fieldset>
          <legend>${t('ratings')}</legend>
          ${check('nps', t('npsLabel'), v.nps)} ${check('ces', t('cesLabel'), v.ces)}
        </fieldset>
        <fieldset class="hours">
          <legend>${t('businessHours')}</legend>
          <p class="faint small">${t('businessHoursHint')}</p>
          <label class="field"
            >${t('timeZone')} <input name="timeZone" maxlength=${SITE_LIMITS.timeZone} placeholder="Europe/Vienna" .value=${v.timeZone}
          /></label>
          ${WEEKDAYS.map(
            (d) =>
              html`<label class="day"
                ><span>${t(`day_${d}` as Key)}</span> <input name="day-${d}" placeholder=${t('closed')} maxlength="200" .value=${v.days[d]}
              /></label>`,
          )}
          <label class="field"
            >${t('holidays')} <textarea name="holidays" rows="2" placeholder="2026-12-25" .value=${v.holidays}></textarea>
          </label>
        </fieldset>
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this._busy}>${t('save')}</button>
          ${this._err ? html`<span class="error small" role="alert" data-site-error>${this._err}</span>` : nothing}
          ${this._msg ? html`<span class="ok small" data-site-saved>${this._msg}</span>` : nothing}
        </div>
      </form>
      <servus-attachment-settings .ctx=${this.ctx} .site=${site} lang=${this.ctx.lang}></servus-attachment-settings>
      ${
        site.secret !== undefined
          ? html`<div class="secret">
              <h3>${t('siteSecret')}</h3>
              <div class="row">
                ${this._showSecret ? html`<code data-secret>${site.secret}</code>` : html`<code class="faint">••••••••••••</code>`}
                <button type="button" class="small" data-secret-toggle @click=${() => (this._showSecret = !this._showSecret)}>
                  ${this._showSecret ? t('hide') : t('show')}
                </button>
              </div>
              <span class="muted small">${t('secretHint')}</span>
            </div>`
          : nothing
      }`;
  }

  private _renderSummary(site: SiteView) {
    const t = this.ctx.t;
    const s = site.settings;
    const unset = html`<span class="faint">${t('notSet')}</span>`;
    const perLang = (x?: { de?: string; en?: string }) =>
      x?.de || x?.en ? [x.de && `de: ${x.de}`, x.en && `en: ${x.en}`].filter(Boolean).join(' · ') : unset;
    const yesNo = (on?: boolean) => (on ? t('yes') : t('no'));
    const hours = s.businessHours;
    return html`<dl data-site-summary>
        <dt>${t('name')}</dt>
        <dd>${site.name}</dd>
        <dt>${t('color')}</dt>
        <dd>
          ${s.color ? html`<span class="swatch" style=${styleMap({ background: HEX.test(s.color) ? s.color : 'transparent' })}></span>${s.color}` : unset}
        </dd>
        <dt>${t('position')}</dt>
        <dd>${s.position ? t(s.position) : unset}</dd>
        <dt>${t('defaultLanguage')}</dt>
        <dd>${s.defaultLang ?? unset}</dd>
        <dt>${t('widgetTitle')}</dt>
        <dd>${perLang(s.title)}</dd>
        <dt>${t('greeting')}</dt>
        <dd>${perLang(s.greeting)}</dd>
        <dt>${t('botName')}</dt>
        <dd>${s.botName ?? unset}</dd>
        <dt>${t('allowedOrigins')}</dt>
        <dd>${s.allowedOrigins?.length ? s.allowedOrigins.join(', ') : unset}</dd>
        <dt>${t('preChatForm')}</dt>
        <dd>
          ${s.preChatForm ? `${yesNo(s.preChatForm.enabled)} ${s.preChatForm.fields.length ? `(${s.preChatForm.fields.join(', ')})` : ''}` : unset}
        </dd>
        <dt>${t('ratings')}</dt>
        <dd>${s.ratings ? `NPS ${yesNo(s.ratings.nps)} · CES ${yesNo(s.ratings.ces)}` : unset}</dd>
        <dt>${t('notifyEmails')}</dt>
        <dd>${s.notifyEmails?.length ? s.notifyEmails.join(', ') : unset}</dd>
        <dt>${t('offlineMessages')}</dt>
        <dd data-offline-reply=${site.offlineReply ?? 'chat'}>${t(site.offlineReply === 'email' ? 'offlineByEmail' : 'offlineInChat')}</dd>
        <dt>${t('launcherOffset')}</dt>
        <dd>
          ${
            s.launcherOffset && Object.keys(s.launcherOffset).length
              ? OFFSET_FIELDS.filter((k) => s.launcherOffset?.[k] !== undefined)
                  .map((k) => `${t(`offset_${k}` as Key)}: ${s.launcherOffset![k]} px`)
                  .join(' · ')
              : unset
          }
        </dd>
        <dt>${t('serviceLevel')}</dt>
        <dd>${s.serviceLevel ? `${s.serviceLevel.firstResponseSeconds} s` : unset}</dd>
        <dt>${t('businessHours')}</dt>
        <dd>
          ${
            hours
              ? html`${hours.timeZone}<br />
                  ${WEEKDAYS.map((d) => html`${t(`day_${d}` as Key)}: ${hours.weekly[d]?.length ? hours.weekly[d]!.join(', ') : t('closed')}<br />`)}
                  ${hours.holidays?.length ? html`${t('holidays')}: ${hours.holidays.join(', ')}` : nothing}`
              : unset
          }
        </dd>
      </dl>
      <p class="faint small">${t('siteAdminOnly')}</p>`;
  }

  static override styles = [
    base,
    css`
      :host {
        display: grid;
        gap: 12px;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 16px 18px;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
      }
      pre {
        margin: 0 0 8px;
        padding: 10px 12px;
        background: var(--bg);
        border: 1px solid var(--line);
        border-radius: 6px;
        white-space: pre-wrap;
        word-break: break-all;
      }
      code {
        font:
          12.5px ui-monospace,
          monospace;
      }
      form.site {
        display: grid;
        gap: 14px;
      }
      form.create {
        display: grid;
        gap: 6px;
        border-top: 1px solid var(--line);
        padding-top: 12px;
      }
      form.create h3 {
        margin: 0;
      }
      form.create .row {
        align-items: end;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
        gap: 10px 16px;
      }
      .field {
        display: grid;
        gap: 4px;
        font-size: 12px;
        color: var(--muted);
      }
      .field input,
      .field select,
      .field textarea {
        font-size: 14px;
        color: var(--text);
      }
      textarea {
        resize: vertical;
      }
      input[type='color'] {
        width: 44px;
        height: 32px;
        padding: 2px;
      }
      .hex {
        width: 100px;
      }
      fieldset {
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 8px 12px 12px;
        display: flex;
        flex-wrap: wrap;
        gap: 8px 18px;
      }
      fieldset.hours {
        display: grid;
        gap: 6px;
      }
      fieldset.offsets p {
        flex-basis: 100%;
        margin: 0;
      }
      fieldset.offsets input {
        width: 90px;
      }
      legend {
        font-size: 12px;
        color: var(--muted);
        padding: 0 4px;
      }
      .check {
        display: flex;
        gap: 6px;
        align-items: center;
      }
      .day {
        display: grid;
        grid-template-columns: 110px minmax(0, 360px);
        gap: 8px;
        align-items: center;
      }
      .secret code {
        user-select: all;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 6px 16px;
        margin: 0;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
      }
      .swatch {
        display: inline-block;
        width: 12px;
        height: 12px;
        border-radius: 3px;
        margin-right: 6px;
        vertical-align: -1px;
        border: 1px solid var(--line);
      }
      .ok {
        color: var(--ok);
      }
    `,
  ];
}
customElements.define('servus-site-settings', ServusSiteSettings);
declare global {
  interface HTMLElementTagNameMap {
    'servus-site-settings': ServusSiteSettings;
  }
}
