// Settings → Website → Files (admins): whether a site takes files, the largest file, files per
// conversation and the kinds of files, saved as the site's `attachments` settings with one PATCH.
// Each field's error is shown at the field, in the agent's language, before anything is sent;
// a refusal by the server is shown at the field it names.
import { LitElement, css, html, nothing } from 'lit';
import type { SiteResponse, SiteView } from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { ApiError, api, errorText } from '../api.js';
import { translator, type Key } from '../i18n.js';
import { base } from '../styles.js';
import {
  KINDS,
  MAX_MB,
  MAX_PER_CONVERSATION,
  MIN_MB,
  attachmentFieldOf,
  attachmentFormFromSettings,
  attachmentSettingsFromForm,
  type AttachmentErrors,
  type AttachmentField,
  type AttachmentFormValues,
  type FileKind,
  type KindState,
} from '../attachment-form.js';

export class ServusAttachmentSettings extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    site: { attribute: false },
    lang: { type: String },
    _errors: { state: true },
    _msg: { state: true },
    _err: { state: true },
    _busy: { state: true },
  };
  declare ctx: ConsoleContext;
  declare site: SiteView;
  /** Passed down so a language switch re-renders this element. */
  declare lang: string;
  declare _errors: AttachmentErrors;
  declare _msg: string;
  declare _err: string;
  declare _busy: boolean;

  constructor() {
    super();
    this._errors = {};
    this._msg = '';
    this._err = '';
    this._busy = false;
  }

  /** The form's values; a kind whose checkbox is still indeterminate keeps the types it had. */
  private _read(form: HTMLFormElement): AttachmentFormValues {
    const data = new FormData(form);
    const kinds = {} as Record<FileKind, KindState>;
    for (const kind of KINDS) {
      const box = form.querySelector<HTMLInputElement>(`input[data-kind="${kind}"]`)!;
      kinds[kind] = box.indeterminate ? 'some' : box.checked ? 'on' : 'off';
    }
    return {
      enabled: data.get('enabled') !== null,
      maxMb: String(data.get('maxMb') ?? ''),
      perConversation: String(data.get('perConversation') ?? ''),
      kinds,
    };
  }

  private async _save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    this._msg = '';
    this._err = '';
    const result = attachmentSettingsFromForm(this._read(e.target as HTMLFormElement), this.site.settings.attachments);
    if ('errors' in result) {
      this._errors = result.errors;
      this._err = this.ctx.t('att_err_form');
      return;
    }
    this._errors = {};
    this._busy = true;
    const key = this.site.key;
    try {
      const { site } = await api<SiteResponse>(`/api/sites/${encodeURIComponent(key)}/settings`, {
        method: 'PATCH',
        body: { settings: { attachments: result.settings } },
      });
      this.ctx.qc.setQueryData(['site-settings', key], { site });
      this._msg = this.ctx.t('saved');
    } catch (err) {
      const field = err instanceof ApiError ? attachmentFieldOf(err.path) : null;
      if (field) this._errors = { [field]: field === 'kinds' ? 'none' : 'range' };
      this._err = errorText(err, this.ctx.t);
    } finally {
      this._busy = false;
    }
  }

  /** The message of a field in error, in the agent's language. */
  private _fieldError(field: AttachmentField) {
    if (!this._errors[field]) return nothing;
    const t = translator(this.ctx.lang);
    const text =
      field === 'maxMb'
        ? t('att_err_maxMb', { min: this._number(MIN_MB), max: this._number(MAX_MB) })
        : field === 'perConversation'
          ? t('att_err_perConversation', { max: MAX_PER_CONVERSATION })
          : t('att_err_kinds');
    return html`<span class="error small" id="att-${field}-error" data-error=${field}>${text}</span>`;
  }

  private _number(n: number): string {
    return n.toLocaleString(this.ctx.lang === 'de' ? 'de-AT' : 'en-GB');
  }

  override render() {
    if (!this.ctx || !this.site) return nothing;
    const t = this.ctx.t;
    const v = attachmentFormFromSettings(this.site.settings.attachments);
    const invalid = (field: AttachmentField) => (this._errors[field] ? 'true' : 'false');
    return html`<form data-attachment-form novalidate @submit=${(e: SubmitEvent) => void this._save(e)}>
      <h3>${t('att_title')}</h3>
      <p class="faint small">${t('att_hint')}</p>
      <label class="check"><input type="checkbox" name="enabled" .checked=${v.enabled} /> ${t('att_enabled')}</label>
      <div class="row">
        <label class="field"
          >${t('att_maxMb')}
          <input
            name="maxMb"
            inputmode="decimal"
            class="num"
            .value=${v.maxMb}
            aria-invalid=${invalid('maxMb')}
            aria-describedby="att-maxMb-error"
          />
          ${this._fieldError('maxMb')}
        </label>
        <label class="field"
          >${t('att_perConversation')}
          <input
            name="perConversation"
            inputmode="numeric"
            class="num"
            .value=${v.perConversation}
            aria-invalid=${invalid('perConversation')}
            aria-describedby="att-perConversation-error"
          />
          ${this._fieldError('perConversation')}
        </label>
      </div>
      <fieldset aria-invalid=${invalid('kinds')} aria-describedby="att-kinds-error">
        <legend>${t('att_kinds')}</legend>
        ${KINDS.map(
          (kind) =>
            html`<label class="check"
              ><input type="checkbox" data-kind=${kind} .checked=${v.kinds[kind] === 'on'} .indeterminate=${v.kinds[kind] === 'some'} />
              ${t(`att_kind_${kind}` as Key)}</label
            >`,
        )}
        ${this._fieldError('kinds')}
      </fieldset>
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this._busy}>${t('save')}</button>
        ${this._err ? html`<span class="error small" role="alert" data-attachment-error>${this._err}</span>` : nothing}
        ${this._msg ? html`<span class="ok small" role="status" data-attachment-saved>${this._msg}</span>` : nothing}
      </div>
    </form>`;
  }

  static override styles = [
    base,
    css`
      form {
        display: grid;
        gap: 10px;
        border-top: 1px solid var(--line);
        padding-top: 12px;
      }
      h3,
      p {
        margin: 0;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 16px;
        align-items: start;
      }
      .field {
        display: grid;
        gap: 4px;
        font-size: 12px;
        color: var(--muted);
      }
      .field input {
        font-size: 14px;
        color: var(--text);
      }
      .num {
        width: 120px;
      }
      [aria-invalid='true'] {
        border-color: var(--danger);
      }
      fieldset {
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 8px 12px 12px;
        display: grid;
        gap: 6px;
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
      .ok {
        color: var(--ok);
      }
    `,
  ];
}
customElements.define('servus-attachment-settings', ServusAttachmentSettings);
declare global {
  interface HTMLElementTagNameMap {
    'servus-attachment-settings': ServusAttachmentSettings;
  }
}
