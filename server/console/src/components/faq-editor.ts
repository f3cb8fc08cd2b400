// The FAQ editor: a site's entries (list, add, edit; admins only), a "what would the bot
// answer?" box, and the questions the bot could not answer, each with one action to become a
// phrasing of an entry or a new entry. Saves and deletions go to the site's FAQ files; hot reload
// picks them up.
import { LitElement, css, html, nothing } from 'lit';
import type {
  BotLearningResponse,
  BotTestReply,
  BotTestResponse,
  FaqDiagnosticsResponse,
  FaqEntry,
  FaqListResponse,
  UnansweredListResponse,
  UnansweredQuestion,
} from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api } from '../api.js';
import { relative } from '../format.js';
import { markdownLite } from '../markdown-lite.js';
import { has, translator, type Key } from '../i18n.js';
import { base, onePane } from '../styles.js';

type Editing = { mode: 'edit'; entry: FaqEntry } | { mode: 'new'; fromQuestion?: string; lang?: string | null } | null;

export class ServusFaqEditor extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    _site: { state: true },
    _filter: { state: true },
    _editing: { state: true },
    _test: { state: true },
    _error: { state: true },
    _saving: { state: true },
  };
  declare ctx: ConsoleContext;
  declare _site: string;
  declare _filter: string;
  declare _editing: Editing;
  declare _test: BotTestReply | null;
  declare _error: string;
  declare _saving: boolean;

  private _faq = new QueryController<FaqListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['faq', this._site],
      queryFn: ({ signal }) => api(`/api/sites/${encodeURIComponent(this._site)}/faq`, { signal }),
      enabled: !!this._site,
    }),
  );
  private _unanswered = new QueryController<UnansweredListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['unanswered', this._site],
      queryFn: ({ signal }) => api(`/api/sites/${encodeURIComponent(this._site)}/bot/unanswered`, { signal }),
      enabled: !!this._site,
    }),
  );

  // How the bot does on this site, from its labels, and its one control (docs/bot-learning.md).
  private _learning = new QueryController<BotLearningResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['bot-learning', this._site],
      queryFn: ({ signal }) => api(`/api/sites/${encodeURIComponent(this._site)}/bot/learning`, { signal }),
      enabled: !!this._site,
    }),
  );
  // What to fix: entries the bot confuses, entries no visitor reached.
  private _diagnostics = new QueryController<FaqDiagnosticsResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['faq-diagnostics', this._site],
      queryFn: ({ signal }) => api(`/api/sites/${encodeURIComponent(this._site)}/bot/diagnostics`, { signal }),
      enabled: !!this._site,
    }),
  );

  constructor() {
    super();
    this._site = '';
    this._filter = '';
    this._editing = null;
    this._test = null;
    this._error = '';
    this._saving = false;
  }

  override willUpdate(): void {
    if (!this._site && this.ctx) this._site = this.ctx.me.siteKeys[0] ?? '';
  }

  private get _admin(): boolean {
    return this.ctx.me.role === 'admin';
  }

  private _refresh(): void {
    void this.ctx.qc.invalidateQueries({ queryKey: ['faq', this._site] });
    void this.ctx.qc.invalidateQueries({ queryKey: ['unanswered', this._site] });
    void this.ctx.qc.invalidateQueries({ queryKey: ['faq-diagnostics', this._site] });
  }

  private async _setBias(bias: number): Promise<void> {
    this._error = '';
    try {
      const r = await api<BotLearningResponse>(`/api/sites/${encodeURIComponent(this._site)}/bot/learning`, {
        method: 'PUT',
        body: { bias },
      });
      this.ctx.qc.setQueryData(['bot-learning', this._site], r);
    } catch (err) {
      this._error = (err as Error).message;
    }
  }

  /** In plain words: how often the bot answers, is right, hands over; the one control for admins. */
  private _renderLearning() {
    const { t } = this.ctx;
    const tp = translator(this.ctx.lang);
    const l = this._learning.data;
    if (!l) return nothing;
    const pct = (x: number) => `${Math.round(x * 100)} %`;
    const c = l.counts;
    return html`<section class="learning" data-bot-learning data-fitted=${l.fitted ? '1' : '0'} data-threshold=${l.threshold}>
      <h2>${t('learn_title')}</h2>
      <p class="small faint">${l.fitted ? tp('learn_fitted', { n: l.labels }) : tp('learn_notYet', { n: l.labels, min: l.minLabels })}</p>
      ${
        l.labels
          ? html`<ul class="figures">
              <li data-figure="answers">${tp('learn_answers', { p: pct(l.current.answerRate) })}</li>
              <li data-figure="right">${tp('learn_right', { p: pct(l.current.rightWhenAnswered) })}</li>
              <li data-figure="handover">${tp('learn_handover', { p: pct(l.current.handoverRate) })}</li>
            </ul>`
          : nothing
      }
      <label class="control small">
        <span>${t('learn_control')}</span>
        <span class="ends">
          <span>${t('learn_sooner')}</span>
          <input
            type="range"
            min="-1"
            max="1"
            step="0.25"
            data-bot-bias
            aria-label=${t('learn_control')}
            .value=${String(l.bias)}
            ?disabled=${!this._admin}
            @change=${(e: Event) => this._setBias(Number((e.target as HTMLInputElement).value))}
          />
          <span>${t('learn_more')}</span>
        </span>
      </label>
      <p class="small faint">
        ${tp('learn_counts', { yes: c.visitorYes, no: c.visitorNo, right: c.right, wrong: c.wrong, nc: c.notCovered })}
      </p>
    </section>`;
  }

  /** Near-duplicate entries and entries no visitor reached, from the FAQ as the bot loaded it. */
  private _renderFix() {
    const { t } = this.ctx;
    const tp = translator(this.ctx.lang);
    const d = this._diagnostics.data;
    if (!d?.loaded) return nothing;
    const none = !d.nearDuplicates.length && !d.unreached.length;
    return html`<section class="fix" data-faq-fix>
      <h2>${t('fix_title')}</h2>
      ${none ? html`<p class="faint">${t('fix_none')}</p>` : nothing}
      ${
        d.nearDuplicates.length
          ? html`<h3>${t('fix_duplicates')}</h3>
              <p class="small faint">${t('fix_duplicatesHint')}</p>
              <ul>
                ${d.nearDuplicates.map(
                  (p) =>
                    html`<li data-near-duplicate="${p.a.id} ${p.b.id}">
                      <b>${p.a.question}</b> ↔ <b>${p.b.question}</b>
                      <span class="faint small">· ${tp('fix_confusions', { n: p.confusions })}</span>
                      ${p.examples.length ? html`<div class="small muted">„${p.examples[0]!.phrasing}“</div>` : nothing}
                    </li>`,
                )}
              </ul>`
          : nothing
      }
      ${
        d.unreached.length
          ? html`<h3>${t('fix_unreached')} <span class="faint">${d.unreached.length}</span></h3>
              <ul class="small">
                ${d.unreached.map((e) => html`<li data-unreached=${e.id}>${e.question}</li>`)}
              </ul>`
          : nothing
      }
    </section>`;
  }

  private async _ask(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const text = String(new FormData(e.target as HTMLFormElement).get('q') ?? '').trim();
    if (!text) return;
    this._error = '';
    try {
      const r = await api<BotTestResponse>(`/api/sites/${encodeURIComponent(this._site)}/bot/test`, { method: 'POST', body: { text } });
      this._test = r.reply;
    } catch (err) {
      this._error = (err as Error).message;
    }
  }

  private async _save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const editing = this._editing;
    if (!editing) return;
    const f = new FormData(e.target as HTMLFormElement);
    const lines = (k: string) =>
      String(f.get(k) ?? '')
        .split(/\n/)
        .map((s) => s.trim())
        .filter(Boolean);
    const lang = String(f.get('lang') ?? '');
    const body = {
      question: String(f.get('question') ?? '').trim(),
      variants: lines('variants'),
      answer: String(f.get('answer') ?? '').trim(),
      tags: String(f.get('tags') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ...(lang === 'de' || lang === 'en' ? { lang } : {}),
    };
    const site = encodeURIComponent(this._site);
    await this._write(async () => {
      if (editing.mode === 'edit') {
        await api(`/api/sites/${site}/faq/${encodeURIComponent(editing.entry.id)}`, { method: 'PUT', body });
      } else if (editing.fromQuestion) {
        await api(`/api/sites/${site}/bot/unanswered/handle`, {
          method: 'POST',
          body: { action: 'entry', text: editing.fromQuestion, entry: body },
        });
      } else {
        await api(`/api/sites/${site}/faq`, { method: 'POST', body });
      }
    });
  }

  /** Runs one write to the FAQ: busy meanwhile, the editor closed and the list reloaded after, the error shown. */
  private async _write(request: () => Promise<void>): Promise<void> {
    this._saving = true;
    this._error = '';
    try {
      await request();
      this._editing = null;
      this._refresh();
    } catch (err) {
      this._error = (err as Error).message;
    } finally {
      this._saving = false;
    }
  }

  private async _delete(entry: FaqEntry): Promise<void> {
    // The browser's own dialog, as for removing an agent: a deliberate second step, and the
    // question named, because a deleted entry is gone from the file (only a backup brings it back).
    if (!confirm(`${this.ctx.t('confirmDeleteEntry')}\n\n${entry.question}`)) return;
    await this._write(async () => {
      await api(`/api/sites/${encodeURIComponent(this._site)}/faq/${encodeURIComponent(entry.id)}`, { method: 'DELETE' });
    });
  }

  private async _handle(q: UnansweredQuestion, action: 'phrasing' | 'dismiss', entryId?: string): Promise<void> {
    this._error = '';
    try {
      await api(`/api/sites/${encodeURIComponent(this._site)}/bot/unanswered/handle`, {
        method: 'POST',
        body: action === 'phrasing' ? { action, text: q.text, entryId } : { action, text: q.text },
      });
      this._refresh();
    } catch (err) {
      this._error = (err as Error).message;
    }
  }

  private _renderEditor(entries: FaqEntry[]) {
    const { t } = this.ctx;
    const ed = this._editing!;
    const entry = ed.mode === 'edit' ? ed.entry : null;
    const question = entry?.question ?? (ed.mode === 'new' ? (ed.fromQuestion ?? '') : '');
    const lang = entry?.lang ?? (ed.mode === 'new' ? (ed.lang ?? '') : '');
    return html`<form class="editor" @submit=${this._save} data-faq-form>
      <h2>${entry ? t('edit') : t('newEntry')} ${entry ? html`<code class="faint">${entry.id} · ${entry.file}</code>` : nothing}</h2>
      <label>${t('question')}<input name="question" required maxlength="500" .value=${question} /></label>
      <label>${t('phrasings')}<textarea name="variants" rows="5" .value=${entry?.variants.join('\n') ?? ''}></textarea></label>
      <label>${t('answer')}<textarea name="answer" rows="8" required maxlength="20000" .value=${entry?.answer ?? ''}></textarea></label>
      <div class="row">
        <label class="grow">${t('tags')}<input name="tags" .value=${entry?.tags?.join(', ') ?? ''} /></label>
        <label
          >${t('language')}<select name="lang">
            <option value="" ?selected=${!lang}>–</option>
            <option value="de" ?selected=${lang === 'de'}>de</option>
            <option value="en" ?selected=${lang === 'en'}>en</option>
          </select></label
        >
      </div>
      <div class="row end">
        ${
          entry
            ? html`<button type="button" class="danger" data-delete-entry ?disabled=${this._saving} @click=${() => this._delete(entry)}>
                ${t('deleteEntry')}
              </button>`
            : nothing
        }
        <button type="button" @click=${() => (this._editing = null)}>${t('cancel')}</button>
        <button class="primary" type="submit" ?disabled=${this._saving}>${t('save')}</button>
      </div>
      <p class="faint small">${entries.length} ${t('faqEntries')}</p>
    </form>`;
  }

  private _renderUnanswered(entries: FaqEntry[]) {
    const { t, lang } = this.ctx;
    const list = this._unanswered.data?.questions ?? [];
    return html`<section class="unanswered">
      <h2>${t('unanswered')} <span class="faint">${list.length || ''}</span></h2>
      ${list.length === 0 ? html`<p class="faint">${t('none')}</p>` : nothing}
      <ul>
        ${list.map(
          (q) =>
            html`<li data-unanswered>
              <div class="q">${q.text}</div>
              <div class="faint small">
                ${q.count}${t('times')} ${t('asked')} · ${relative(q.lastAt, Date.now(), lang)}${q.lang ? ` · ${q.lang}` : ''}
              </div>
              ${
                this._admin
                  ? html`<div class="row">
                      <select
                        aria-label=${t('addAsPhrasing')}
                        @change=${(e: Event) => {
                          const sel = e.target as HTMLSelectElement;
                          if (sel.value) void this._handle(q, 'phrasing', sel.value);
                        }}
                      >
                        <option value="">${t('addAsPhrasing')}</option>
                        ${entries.map((e) => html`<option value=${e.id}>${e.question}</option>`)}
                      </select>
                      <button @click=${() => (this._editing = { mode: 'new', fromQuestion: q.text, lang: q.lang })}>
                        ${t('addAsEntry')}
                      </button>
                      <button class="ghost" @click=${() => this._handle(q, 'dismiss')}>${t('dismiss')}</button>
                    </div>`
                  : nothing
              }
            </li>`,
        )}
      </ul>
    </section>`;
  }

  override render() {
    if (!this.ctx) return nothing;
    const { t } = this.ctx;
    const data = this._faq.data;
    const entries = data?.entries ?? [];
    const f = this._filter.toLowerCase();
    const shown = f ? entries.filter((e) => [e.question, e.answer, ...e.variants, e.id].some((s) => s.toLowerCase().includes(f))) : entries;
    return html`<div class="cols">
      <section class="list">
        <header>
          <h2>${t('faq')}</h2>
          ${
            this.ctx.me.siteKeys.length > 1
              ? html`<select aria-label=${t('site')} @change=${(e: Event) => (this._site = (e.target as HTMLSelectElement).value)}>
                  ${this.ctx.me.siteKeys.map((k) => html`<option ?selected=${k === this._site}>${k}</option>`)}
                </select>`
              : html`<span class="pill">${this._site}</span>`
          }
          <span class="grow"></span>
          ${
            this._admin
              ? html`<button class="primary" data-new-entry @click=${() => (this._editing = { mode: 'new' })}>${t('newEntry')}</button>`
              : html`<span class="faint small">${t('adminOnly')}</span>`
          }
        </header>
        <form class="try" @submit=${this._ask}>
          <label for="try">${t('tryBot')}</label>
          <div class="row">
            <input id="try" name="q" placeholder=${t('tryPlaceholder')} maxlength="1000" autocomplete="off" />
            <button type="submit">${t('ask')}</button>
          </div>
          ${
            this._test
              ? html`<div class="answer" data-bot-test=${this._test.kind}>
                  <div class="small">
                    <span class="pill ${this._test.kind === 'answer' ? 'resolved' : this._test.kind === 'handoff' ? 'queued' : 'bot'}"
                      >${this._test.kind}</span
                    >
                    ${t('confidence')} ${Math.round(this._test.confidence * 100)}%
                    ${this._test.question ? html`· <b>${this._test.question}</b>` : nothing}
                    ${
                      this._test.handoffReason
                        ? html`·
                          ${has(`reason_${this._test.handoffReason}`) ? this.ctx.t(`reason_${this._test.handoffReason}` as Key) : this._test.handoffReason}`
                        : nothing
                    }
                  </div>
                  <div class="text">${markdownLite(this._test.text)}</div>
                  ${
                    this._test.suggestions.length
                      ? html`<div class="small muted">
                          ${t('suggestions')}: ${this._test.suggestions.map((x, i) => html`${i ? ' · ' : ''}<b>${x.title}</b>`)}
                        </div>`
                      : nothing
                  }
                </div>`
              : nothing
          }
        </form>
        ${this._error ? html`<p class="error small" role="alert">${this._error}</p>` : nothing}
        ${
          data?.errors.length
            ? html`<ul class="errors small">
                ${data.errors.map((e) => html`<li>${e.file ?? ''}:${e.line} ${e.message}</li>`)}
              </ul>`
            : nothing
        }
        <input
          class="filter"
          type="search"
          placeholder="${t('faqEntries')}…"
          aria-label=${t('faqEntries')}
          @input=${(e: Event) => (this._filter = (e.target as HTMLInputElement).value)}
        />
        ${entries.length === 0 && this._faq.result.isSuccess ? html`<p class="faint">${t('noFaq')}</p>` : nothing}
        <ul class="entries">
          ${shown.map(
            (e) =>
              html`<li
                class=${this._editing?.mode === 'edit' && this._editing.entry.id === e.id ? 'sel' : ''}
                data-entry=${e.id}
                @click=${() => this._admin && (this._editing = { mode: 'edit', entry: e })}
              >
                <div class="q">${e.question}</div>
                <div class="faint small">
                  ${e.variants.length} ${t('phrasingsCount')} ${e.lang ? `· ${e.lang}` : ''}
                  ${e.tags?.length ? `· ${e.tags.join(', ')}` : ''}
                </div>
              </li>`,
          )}
        </ul>
      </section>
      <section class="side">
        ${this._editing ? this._renderEditor(entries) : html`${this._renderLearning()}${this._renderUnanswered(entries)}${this._renderFix()}`}
      </section>
    </div>`;
  }

  static override styles = [
    base,
    css`
      :host {
        display: block;
        min-height: 0;
        overflow: hidden;
      }
      .cols {
        display: grid;
        grid-template-columns: minmax(360px, 1fr) minmax(380px, 1fr);
        height: 100%;
      }
      .list,
      .side {
        overflow-y: auto;
        padding: 16px 20px;
      }
      .list {
        background: var(--panel);
        border-right: 1px solid var(--line);
      }
      /* Narrow: the entries, then the test box and what to fix, one under the other in one scroll. */
      @media ${onePane} {
        :host {
          overflow-y: auto;
        }
        .cols {
          grid-template-columns: minmax(0, 1fr);
          height: auto;
        }
        .list,
        .side {
          overflow: visible;
          padding: 12px 10px;
        }
        .list {
          border-right: 0;
          border-bottom: 1px solid var(--line);
        }
      }
      header {
        display: flex;
        align-items: center;
        gap: 10px;
        margin-bottom: 14px;
      }
      .grow {
        flex: 1;
      }
      .row {
        display: flex;
        gap: 6px;
        align-items: end;
      }
      .row.end {
        justify-content: flex-end;
      }
      /* Delete stands apart, at the far left, from Cancel and Save. */
      button.danger {
        margin-right: auto;
        color: var(--danger);
        border-color: currentColor;
      }
      button.danger:hover:not(:disabled) {
        background: #fff5f5;
      }
      .row input,
      .row select {
        flex: 1;
        min-width: 0;
      }
      .try {
        display: grid;
        gap: 6px;
        padding: 12px;
        background: #f8f7fc;
        border: 1px solid #e7e3f5;
        border-radius: var(--radius);
        margin-bottom: 12px;
      }
      .try label {
        font-weight: 600;
        font-size: 13px;
      }
      .answer {
        display: grid;
        gap: 4px;
        background: var(--panel);
        border-radius: 6px;
        padding: 8px 10px;
        border: 1px solid var(--line);
      }
      .answer .text {
        white-space: pre-wrap;
      }
      .filter {
        width: 100%;
        margin-bottom: 6px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .entries li {
        padding: 9px 10px;
        border-radius: 6px;
        cursor: pointer;
      }
      .entries li:hover {
        background: var(--hover);
      }
      .entries li.sel {
        background: var(--accent-soft);
      }
      .q {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .errors {
        color: var(--danger);
        margin-bottom: 8px;
      }
      .editor {
        display: grid;
        gap: 12px;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 16px;
      }
      .editor label {
        display: grid;
        gap: 4px;
        font-size: 12.5px;
        color: var(--muted);
      }
      .editor input,
      .editor textarea,
      .editor select {
        color: var(--text);
      }
      .editor .grow {
        flex: 1;
      }
      textarea {
        resize: vertical;
        font: inherit;
      }
      .unanswered li {
        display: grid;
        gap: 6px;
        padding: 12px;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        margin-bottom: 8px;
      }
      .unanswered h2 {
        margin-bottom: 12px;
      }
      .learning,
      .fix {
        display: grid;
        gap: 6px;
        padding: 12px;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: var(--radius);
        margin-bottom: 16px;
      }
      .fix {
        margin-top: 16px;
      }
      .learning p,
      .fix p {
        margin: 0;
      }
      .figures {
        display: grid;
        gap: 2px;
        font-weight: 500;
      }
      .control {
        display: grid;
        gap: 4px;
        color: var(--muted);
      }
      .control .ends {
        display: flex;
        align-items: center;
        gap: 8px;
      }
      .control input {
        flex: 1;
      }
      .fix h3 {
        font-size: 13px;
        margin: 6px 0 0;
      }
      .fix li {
        padding: 3px 0;
        overflow-wrap: anywhere;
      }
      code {
        font:
          11.5px ui-monospace,
          monospace;
        font-weight: 400;
      }
    `,
  ];
}
customElements.define('servus-faq-editor', ServusFaqEditor);
declare global {
  interface HTMLElementTagNameMap {
    'servus-faq-editor': ServusFaqEditor;
  }
}
