// Settings → Website → Proactive greetings (docs/proactive.md): a site's rules in the order they are
// tried, each with its figures of the last 30 days (shown, opened, chats started); admins add, edit,
// reorder, switch on and off and delete them, with a preview of the bubble as the visitor sees it
// (the site's colour and position, the visitor's language). Every change is one PUT of the list.
import { LitElement, css, html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import { styleMap } from 'lit/directives/style-map.js';
import {
  DEFAULT_WIDGET_COLOR,
  PROACTIVE_LIMITS,
  type ProactiveResultsResponse,
  type ProactiveRule,
  type ProactiveRulesResponse,
  type SiteView,
} from '@servus/shared';
import { onColor, parseHex } from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api } from '../api.js';
import { clearFieldErrors, reportFormError, showFieldErrors } from '../field-errors.js';
import {
  NEW_RULE,
  draftFromRule,
  greetingText,
  moveRule,
  newRuleId,
  readRuleForm,
  ruleFields,
  ruleFromDraft,
  type RuleDraft,
} from '../proactive-form.js';
import { base, tables } from '../styles.js';

type Lang = 'de' | 'en';

export class ServusProactiveEditor extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    lang: { type: String },
    site: { attribute: false },
    _editing: { state: true },
    _draft: { state: true },
    _previewLang: { state: true },
    _err: { state: true },
    _msg: { state: true },
    _busy: { state: true },
  };
  declare ctx: ConsoleContext;
  /** Passed down so a language switch re-renders this element. */
  declare lang: string;
  declare site: SiteView;
  /** The rule open in the form: its index, `new`, or none. */
  declare _editing: number | 'new' | null;
  declare _draft: RuleDraft;
  declare _previewLang: Lang | null;
  declare _err: string;
  declare _msg: string;
  declare _busy: boolean;

  private _rules = new QueryController<ProactiveRulesResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['proactive', this.site?.key],
      queryFn: ({ signal }) => api<ProactiveRulesResponse>(`${this._path()}`, { signal }),
      enabled: Boolean(this.site),
    }),
  );
  private _results = new QueryController<ProactiveResultsResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['proactive-results', this.site?.key],
      queryFn: ({ signal }) => api<ProactiveResultsResponse>(`${this._path()}/results?days=30`, { signal }),
      enabled: Boolean(this.site),
      refetchInterval: 30_000,
    }),
  );

  constructor() {
    super();
    this._editing = null;
    this._draft = NEW_RULE;
    this._previewLang = null;
    this._err = '';
    this._msg = '';
    this._busy = false;
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    // Another site: nothing of the last one's form stays open.
    if (changed.has('site') && (changed.get('site') as SiteView | undefined)?.key !== this.site?.key) {
      this._editing = null;
      this._err = this._msg = '';
    }
  }

  private _path(): string {
    return `/api/sites/${encodeURIComponent(this.site?.key ?? '')}/proactive`;
  }

  /**
   * The rules as stored last: read from the query cache, which a save updates at once (the
   * controller hears of it a task later), so a click right after a save acts on the saved list.
   */
  private get _list(): ProactiveRule[] {
    return this.ctx?.qc.getQueryData<ProactiveRulesResponse>(['proactive', this.site?.key])?.rules ?? this._rules.data?.rules ?? [];
  }

  /** Applies a change to the stored list at the rule's current place (by id: the list may have moved since it was drawn). */
  private _change(id: string, change: (rules: ProactiveRule[], index: number) => ProactiveRule[]): void {
    const rules = this._list;
    const index = rules.findIndex((r) => r.id === id);
    if (index >= 0) void this._put(change(rules, index));
  }

  /** Stores the whole list; a refused rule's problems go to the form's fields when the form is open. */
  private async _put(rules: ProactiveRule[], form: HTMLFormElement | null = null, index?: number): Promise<boolean> {
    const t = this.ctx.t;
    this._busy = true;
    this._err = this._msg = '';
    if (form) clearFieldErrors(form);
    try {
      const saved = await api<ProactiveRulesResponse>(this._path(), { method: 'PUT', body: { rules } });
      this.ctx.qc.setQueryData(['proactive', this.site.key], saved);
      void this.ctx.qc.invalidateQueries({ queryKey: ['proactive-results', this.site.key] });
      this._msg = t('saved');
      return true;
    } catch (err) {
      this._err = reportFormError(form, err, index === undefined ? {} : ruleFields(index), t);
      return false;
    } finally {
      this._busy = false;
    }
  }

  private _open(editing: number | 'new'): void {
    this._editing = editing;
    this._draft = editing === 'new' ? NEW_RULE : draftFromRule(this._list[editing]!);
    this._err = this._msg = '';
  }

  private async _save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const t = this.ctx.t;
    const draft = readRuleForm(new FormData(form));
    if (!draft.textDe.trim() && !draft.textEn.trim()) {
      showFieldErrors(form, new Map([['textDe', t('pro_textNeeded')]]));
      this._err = t('err_form');
      return;
    }
    const rules = [...this._list];
    const editing = this._editing;
    if (editing === null) return;
    const index = editing === 'new' ? rules.length : editing;
    const id = editing === 'new' ? newRuleId(rules.map((r) => r.id)) : rules[index]!.id;
    rules[index] = ruleFromDraft(draft, id);
    if (await this._put(rules, form, index)) this._editing = null;
  }

  /** Every keystroke redraws the preview. */
  private _onInput = (e: Event): void => {
    this._draft = readRuleForm(new FormData(e.currentTarget as HTMLFormElement));
  };

  private _remove(id: string): void {
    if (!confirm(this.ctx.t('pro_confirmDelete'))) return;
    if (this._editing !== null) this._editing = null;
    this._change(id, (list, at) => list.filter((_, i) => i !== at));
  }

  override render() {
    if (!this.ctx || !this.site) return nothing;
    const { t, me } = this.ctx;
    const admin = me.role === 'admin';
    const rules = this._list;
    const results = new Map((this._results.data?.results ?? []).map((r) => [r.ruleId, r]));
    const lang: Lang = this.ctx.lang;
    const pct = (rate: number | null) => (rate === null ? '' : ` (${Math.round(rate * 100)} %)`);
    return html`<section data-proactive>
      <div class="head">
        <h3>${t('pro_title')}</h3>
        <button type="button" class="ghost small" data-refresh @click=${() => void this._results.refetch()}>${t('pro_refresh')}</button>
      </div>
      <p class="faint small">${t('pro_hint')}</p>
      ${this._rules.result.isError ? html`<span class="error small" role="alert">${this._rules.result.error?.message}</span>` : nothing}
      ${
        rules.length
          ? html`<table>
              <thead>
                <tr>
                  <th>${t('pro_on')}</th>
                  <th>${t('pro_pages')}</th>
                  <th>${t('pro_greeting')}</th>
                  <th class="num">${t('pro_shown')}</th>
                  <th class="num">${t('pro_opened')}</th>
                  <th class="num">${t('pro_chats')}</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                ${rules.map((r, i) => {
                  const res = results.get(r.id);
                  const on = r.enabled !== false;
                  return html`<tr data-rule=${r.id} class=${on ? '' : 'off'}>
                    <td>
                      <input
                        type="checkbox"
                        data-toggle
                        aria-label=${t('pro_on')}
                        .checked=${on}
                        ?disabled=${!admin || this._busy}
                        @change=${() =>
                          this._change(r.id, (list, at) =>
                            list.map((x, j) => (j === at ? ruleFromDraft({ ...draftFromRule(x), enabled: x.enabled === false }, x.id) : x)),
                          )}
                      />
                    </td>
                    <td>
                      <code>${r.urlPattern}</code>
                      <div class="faint small">
                        ${t('pro_after')} ${r.delaySeconds}
                        s${r.returningOnly ? ` · ${t('pro_returning')}` : ''}${on ? '' : ` · ${t('pro_off')}`}
                      </div>
                    </td>
                    <td class="text">${greetingText(r.text, lang)}</td>
                    <td class="num" data-shown>${res?.shown ?? 0}</td>
                    <td class="num" data-opened>${res?.opened ?? 0}${pct(res?.openRate ?? null)}</td>
                    <td class="num" data-chats>${res?.conversations ?? 0}${pct(res?.conversationRate ?? null)}</td>
                    <td class="actions">
                      ${
                        admin
                          ? html`<button
                                type="button"
                                class="ghost small"
                                data-up
                                aria-label=${t('pro_up')}
                                title=${t('pro_up')}
                                ?disabled=${i === 0 || this._busy}
                                @click=${() => this._change(r.id, (list, at) => moveRule(list, at, -1))}
                              >
                                ↑
                              </button>
                              <button
                                type="button"
                                class="ghost small"
                                data-down
                                aria-label=${t('pro_down')}
                                title=${t('pro_down')}
                                ?disabled=${i === rules.length - 1 || this._busy}
                                @click=${() => this._change(r.id, (list, at) => moveRule(list, at, 1))}
                              >
                                ↓
                              </button>
                              <button type="button" class="ghost small" data-edit @click=${() => this._open(i)}>${t('edit')}</button>
                              <button
                                type="button"
                                class="ghost small"
                                data-delete
                                ?disabled=${this._busy}
                                @click=${() => this._remove(r.id)}
                              >
                                ${t('remove')}
                              </button>`
                          : nothing
                      }
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>`
          : this._rules.result.isSuccess
            ? html`<p class="muted small" data-none>${t('pro_none')}</p>`
            : nothing
      }
      ${
        admin && this._editing === null && rules.length < PROACTIVE_LIMITS.maxRules
          ? html`<div><button type="button" data-add @click=${() => this._open('new')}>${t('pro_add')}</button></div>`
          : nothing
      }
      ${admin && this._editing !== null ? keyed(this._editing, this._renderForm()) : nothing}
      ${this._err ? html`<span class="error small" role="alert" data-proactive-error>${this._err}</span>` : nothing}
      ${this._msg && this._editing === null ? html`<span class="ok small" role="status" data-proactive-saved>${this._msg}</span>` : nothing}
    </section>`;
  }

  private _renderForm() {
    const t = this.ctx.t;
    const d = this._draft;
    const max = PROACTIVE_LIMITS;
    return html`<form
      class="rule"
      data-rule-form
      novalidate
      @submit=${(e: SubmitEvent) => void this._save(e)}
      @input=${this._onInput}
      @change=${this._onInput}
    >
      <div class="fields">
        <label class="field"
          >${t('pro_pages')}
          <input name="urlPattern" maxlength=${max.maxPatternChars} spellcheck="false" placeholder="/shop/*" .value=${d.urlPattern} />
          <span class="faint small">${t('pro_patternHint')}</span>
        </label>
        <label class="field"
          >${t('pro_delaySeconds')}
          <input name="delaySeconds" type="number" min="0" max=${max.maxDelaySeconds} step="1" class="num" .value=${d.delaySeconds} />
        </label>
        <label class="field"
          >${t('pro_greeting')} (de) <textarea name="textDe" rows="2" maxlength=${max.maxTextChars} .value=${d.textDe}></textarea>
        </label>
        <label class="field"
          >${t('pro_greeting')} (en) <textarea name="textEn" rows="2" maxlength=${max.maxTextChars} .value=${d.textEn}></textarea>
        </label>
        <label class="check"><input type="checkbox" name="returningOnly" .checked=${d.returningOnly} /> ${t('pro_returningOnly')}</label>
        <label class="check"><input type="checkbox" name="enabled" .checked=${d.enabled} /> ${t('pro_enabled')}</label>
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this._busy}>${t('save')}</button>
          <button class="ghost" type="button" data-cancel @click=${() => (this._editing = null)}>${t('cancel')}</button>
        </div>
      </div>
      ${this._renderPreview(d)}
    </form>`;
  }

  /** The bubble over the launcher, as the widget draws them (widget/src/app/greeting.css, launcher.css). */
  private _renderPreview(d: RuleDraft) {
    const t = this.ctx.t;
    const s = this.site.settings;
    const lang: Lang = this._previewLang ?? s.defaultLang ?? 'de';
    const text = greetingText(ruleFromDraft(d, 'preview').text, lang);
    const color = s.color && parseHex(s.color) ? s.color : DEFAULT_WIDGET_COLOR;
    return html`<div class="preview" data-preview>
      <div class="row">
        <span class="small muted">${t('pro_preview')}</span>
        <span class="langs" role="group" aria-label=${t('pro_previewLang')}>
          ${(['de', 'en'] as const).map(
            (l) =>
              html`<button
                type="button"
                class="small ${l === lang ? 'on' : ''}"
                aria-pressed=${l === lang}
                @click=${() => (this._previewLang = l)}
              >
                ${l}
              </button>`,
          )}
        </span>
      </div>
      <div class="stage ${s.position === 'left' ? 'left' : 'right'}" style=${styleMap({ '--c': color, '--on': onColor(parseHex(color)!) })}>
        <div class="bubble" data-preview-bubble lang=${lang}>
          <span class="greet">${text || html`<span class="faint">…</span>`}</span>
          <span class="x" aria-hidden="true">×</span>
        </div>
        <div class="launcher" aria-hidden="true">
          <svg viewBox="0 0 24 24">
            <path
              d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3 0-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z"
            />
          </svg>
        </div>
      </div>
    </div>`;
  }

  static override styles = [
    base,
    tables,
    css`
      :host {
        display: block;
        border-top: 1px solid var(--line);
        padding-top: 12px;
      }
      section {
        display: grid;
        gap: 8px;
      }
      .head,
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
      }
      .head h3 {
        margin: 0;
        flex: 1;
      }
      p {
        margin: 0;
      }
      th.num,
      td.num {
        text-align: right;
        white-space: nowrap;
        padding-left: 12px;
      }
      td.text {
        max-width: 260px;
        overflow-wrap: anywhere;
      }
      tr.off td:not(:first-child) {
        color: var(--faint);
      }
      .actions {
        white-space: nowrap;
        text-align: right;
      }
      code {
        font:
          12.5px ui-monospace,
          monospace;
        word-break: break-all;
      }
      form.rule {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(280px, 1fr));
        gap: 14px;
        border: 1px solid var(--line);
        border-radius: 6px;
        padding: 12px;
      }
      .fields {
        display: grid;
        gap: 10px;
        align-content: start;
      }
      .field {
        display: grid;
        gap: 4px;
        font-size: 12px;
        color: var(--muted);
      }
      .field input,
      .field textarea {
        font-size: 14px;
        color: var(--text);
      }
      input.num {
        width: 100px;
      }
      textarea {
        resize: vertical;
      }
      .check {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
      }
      .preview {
        display: grid;
        gap: 6px;
        align-content: start;
      }
      .langs button.on {
        background: var(--accent-soft);
        border-color: var(--accent);
      }
      /* A corner of a page, with the widget's bubble and launcher in it. */
      .stage {
        display: flex;
        flex-direction: column;
        align-items: flex-end;
        justify-content: flex-end;
        gap: 12px;
        min-height: 190px;
        padding: 20px;
        border: 1px dashed var(--line);
        border-radius: 6px;
        background: repeating-linear-gradient(180deg, #f8f9fa 0 14px, #fff 14px 28px);
      }
      .stage.left {
        align-items: flex-start;
      }
      .bubble {
        display: flex;
        align-items: flex-start;
        max-width: 300px;
        background: #fff;
        border-radius: 14px;
        box-shadow: 0 8px 28px rgb(15 23 42 / 0.2);
        font:
          15px/1.45 system-ui,
          sans-serif;
        color: #111827;
      }
      .greet {
        flex: 1;
        padding: 14px 4px 14px 16px;
        font-size: 14.5px;
        overflow-wrap: anywhere;
      }
      .x {
        width: 36px;
        height: 36px;
        display: grid;
        place-items: center;
        font-size: 20px;
        color: #4b5563;
      }
      .launcher {
        display: grid;
        place-items: center;
        width: 56px;
        height: 56px;
        border-radius: 50%;
        background: var(--c);
        box-shadow:
          0 4px 14px rgb(0 0 0 / 0.18),
          0 1px 3px rgb(0 0 0 / 0.12);
      }
      .launcher svg {
        width: 28px;
        height: 28px;
        fill: none;
        stroke: var(--on);
        stroke-width: 2;
        stroke-linecap: round;
        stroke-linejoin: round;
      }
      .ok {
        color: var(--ok);
      }
    `,
  ];
}
customElements.define('servus-proactive-editor', ServusProactiveEditor);
declare global {
  interface HTMLElementTagNameMap {
    'servus-proactive-editor': ServusProactiveEditor;
  }
}
