// The right side: one conversation. Header with the actions (take, put back, transfer, resolve,
// reopen), the whole transcript including the bot's turns (FAQ entry, confidence, handoff reason),
// typing and read state, the composer, and the visitor's context (a column on wide screens, a
// sheet opened from the header on narrow ones). Everything the visitor wrote is rendered through
// text bindings only.
import { LitElement, css, html, nothing } from 'lit';
import type {
  AgentListResponse,
  AttachmentInfo,
  BotLabelKind,
  BotLabelsResponse,
  ChatMessage,
  ConversationDetail,
  ConversationEventsResponse,
  ConversationView,
} from '@servus/shared';
import { attachmentUrl, fileSize, fill } from '../attachments.js';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { LiveController } from '../controllers/live-controller.js';
import { api, errorText } from '../api.js';
import { clock } from '../format.js';
import { markdownLite } from '../markdown-lite.js';
import { has, type Key } from '../i18n.js';
import type { TranscriptEntry } from '../live/store.js';
import { base, contextSheet, onePane } from '../styles.js';
import './composer.js';
import './visitor-panel.js';
import type { ServusComposer } from './composer.js';

/** Events per REST page when loading a transcript (the server caps it too). */
const HISTORY_PAGES_MAX = 20;

export class ServusConversation extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    conversationId: {},
    tick: { type: Number },
    _error: { state: true },
    _busy: { state: true },
    _enlarged: { state: true },
    _context: { state: true },
  };
  declare ctx: ConsoleContext;
  declare conversationId: string;
  declare tick: number;
  declare _error: string;
  declare _busy: boolean;
  /** The picture shown full size (click on a thumbnail), if any. */
  declare _enlarged: AttachmentInfo | null;
  /** The visitor's context, opened as a sheet (narrow screens only; a column otherwise). */
  declare _context: boolean;
  private _live = new LiveController(this, () => this.ctx?.store);
  private _loadedFor: string | null = null;
  private _stickToBottom = true;
  private _lastCount = 0;

  private _detail = new QueryController<ConversationDetail>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['conversation', this.conversationId],
      queryFn: ({ signal }) => api<ConversationDetail>(`/api/conversations/${encodeURIComponent(this.conversationId)}`, { signal }),
    }),
  );
  private _agents = new QueryController<AgentListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({ queryKey: ['agents'], queryFn: ({ signal }) => api<AgentListResponse>('/api/agents', { signal }) }),
  );

  // People's labels of the bot's messages (docs/bot-learning.md): the visitor's yes / no, the agents' marks.
  private _labels = new QueryController<BotLabelsResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['bot-labels', this.conversationId],
      queryFn: ({ signal }) =>
        api<BotLabelsResponse>(`/api/conversations/${encodeURIComponent(this.conversationId)}/bot-labels`, { signal }),
    }),
  );

  constructor() {
    super();
    this._error = '';
    this._busy = false;
    this._enlarged = null;
    this._context = false;
  }

  private _toggleContext(open: boolean): void {
    this._context = open;
    // Focus goes into the sheet and back to the button that opened it.
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(open ? '.context .sheet-head button' : '[data-action=context]')?.focus(),
    );
  }

  /** Marks a bot message right, wrong or not covered by the FAQ; the same mark again takes it back. */
  private async _label(messageId: string, label: BotLabelKind, current: BotLabelKind | undefined): Promise<void> {
    this._error = '';
    const path = `/api/conversations/${encodeURIComponent(this.conversationId)}/bot-labels/${encodeURIComponent(messageId)}`;
    try {
      const r = await api<BotLabelsResponse>(path, current === label ? { method: 'DELETE' } : { method: 'PUT', body: { label } });
      this.ctx.qc.setQueryData(['bot-labels', this.conversationId], r);
    } catch (err) {
      this._error = errorText(err, this.ctx.t);
    }
  }

  /** Under a bot answer or unsure turn: what the visitor said, and the agent's mark. */
  private _renderLabels(m: ChatMessage) {
    const { t } = this.ctx;
    const outcome = m.bot?.outcome;
    if ((outcome !== 'answer' && outcome !== 'unsure' && outcome !== 'handoff') || m.bot?.intent === 'feedback') return nothing;
    const labels = (this._labels.data?.labels ?? []).filter((l) => l.messageId === m.id);
    const visitor = labels.find((l) => l.source === 'visitor');
    const mine = labels.find((l) => l.source === 'agent')?.label;
    const kinds: BotLabelKind[] = ['right', 'wrong', 'not_covered'];
    return html`<div class="labels small" data-bot-labels=${m.id} title=${t('labelHint')}>
      ${
        visitor
          ? html`<span class="visitor ${visitor.label}" data-visitor-label=${visitor.label}
              >${visitor.label === 'right' ? t('visitorSaidYes') : t('visitorSaidNo')}</span
            >`
          : nothing
      }
      ${kinds.map(
        (k) =>
          html`<button
            class="mark ${k}"
            data-label=${k}
            aria-pressed=${mine === k ? 'true' : 'false'}
            @click=${() => this._label(m.id, k, mine)}
          >
            ${t(`label_${k}`)}
          </button>`,
      )}
    </div>`;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.ctx?.store.open(null);
    this._loadedFor = null;
    this._resize.disconnect();
    this._observed = null;
  }

  /** The transcript got shorter (an on-screen keyboard, a sheet): the latest message stays in view. */
  private _resize = new ResizeObserver(() => {
    const scroller = this._observed;
    if (scroller && this._stickToBottom) scroller.scrollTop = scroller.scrollHeight;
  });
  private _observed: HTMLElement | null = null;

  override willUpdate(): void {
    if (this.ctx && this.conversationId !== this._loadedFor) {
      this._loadedFor = this.conversationId;
      this._error = '';
      this._context = false;
      this._stickToBottom = true;
      this._readSent = 0;
      this.ctx.store.open(this.conversationId);
      void this._loadHistory(this.conversationId);
    }
  }

  /** The whole log over REST (paged), merged with whatever the socket already delivered. */
  private async _loadHistory(id: string): Promise<void> {
    let after = 0;
    try {
      for (let page = 0; page < HISTORY_PAGES_MAX; page++) {
        const r = await api<ConversationEventsResponse>(`/api/conversations/${encodeURIComponent(id)}/events?after=${after}`);
        const seqs = r.events.map((e) => e.seq);
        this.ctx.store.mergeHistory(id, r.events, !r.more);
        if (!r.more || !seqs.length) break;
        after = Math.max(...seqs);
      }
    } catch (err) {
      if (this._loadedFor === id) this._error = (err as Error).message;
    }
  }

  override updated(): void {
    if (this._enlarged) this.renderRoot.querySelector<HTMLElement>('.lightbox')?.focus();
    const scroller = this.renderRoot.querySelector<HTMLElement>('.transcript');
    if (scroller !== this._observed) {
      this._resize.disconnect();
      if (scroller) this._resize.observe(scroller);
      this._observed = scroller;
    }
    const t = this.ctx?.store.transcript(this.conversationId);
    const count = t?.entries.size ?? 0;
    // A new bot reply may answer a visitor's yes / no: their label is fetched again with it.
    if (count !== this._labelsFor) {
      if (this._labelsFor) void this.ctx.qc.invalidateQueries({ queryKey: ['bot-labels', this.conversationId] });
      this._labelsFor = count;
    }
    // Follow the end of the conversation (new messages, typing) unless the agent scrolled up to read.
    if (scroller && (this._stickToBottom || count !== this._lastCount)) {
      if (this._stickToBottom) scroller.scrollTop = scroller.scrollHeight;
      this._lastCount = count;
    }
    // Read state: what is on screen in a visible tab counts as read.
    if (t && document.visibilityState === 'visible' && (t.lastSeq > this._readSent || this.ctx.store.isUnread(this.conversationId))) {
      this._readSent = t.lastSeq;
      this.ctx.store.markRead(this.conversationId);
    }
  }
  private _readSent = 0;
  private _labelsFor = 0;

  private get _conv(): ConversationView | undefined {
    const live = this.ctx.store.conversation(this.conversationId);
    const rest = this._detail.data?.conversation;
    if (live && rest) return live.updatedAt >= rest.updatedAt ? live : rest;
    return live ?? rest;
  }

  private async _act(fn: () => Promise<unknown>): Promise<void> {
    this._busy = true;
    this._error = '';
    try {
      await fn();
      void this.ctx.qc.invalidateQueries({ queryKey: ['conversation', this.conversationId] });
      const r = await api<ConversationDetail>(`/api/conversations/${encodeURIComponent(this.conversationId)}`);
      this.ctx.store.upsert(r.conversation);
    } catch (err) {
      this._error = errorText(err, this.ctx.t);
    } finally {
      this._busy = false;
    }
  }

  // Actions used by keyboard shortcuts too.
  claim(): void {
    const c = this._conv;
    if (c && (c.status === 'queued' || c.status === 'bot')) void this._act(() => this.ctx.store.claim(c.id));
  }
  resolveOrReopen(): void {
    const c = this._conv;
    if (!c) return;
    void this._act(() => (c.status === 'resolved' ? this.ctx.store.reopen(c.id) : this.ctx.store.resolve(c.id)));
  }
  focusComposer(note: boolean): void {
    this.renderRoot.querySelector<ServusComposer>('servus-composer')?.focusInput(note);
  }

  /** A sent file: a picture inline (click: full size), anything else as a download, never opened here. */
  private _renderAttachment(a: AttachmentInfo) {
    const { t } = this.ctx;
    if (a.inline) {
      const width = Math.min(a.width ?? 240, 240);
      const height = a.width && a.height ? Math.round((a.height * width) / a.width) : undefined;
      return html`<a
        class="att-image"
        href=${attachmentUrl(a.id)}
        title=${fill(t('att_enlarge'), { name: a.name })}
        @click=${(e: Event) => {
          e.preventDefault();
          this._enlarged = a;
        }}
        ><img src=${attachmentUrl(a.id)} alt=${a.name} width=${width} height=${height ?? nothing} loading="lazy"
      /></a>`;
    }
    return html`<a class="att-file" href=${attachmentUrl(a.id, true)} download=${a.name} title=${fill(t('att_download'), { name: a.name })}
      ><span aria-hidden="true">📄</span> <span class="att-name">${a.name}</span> <span class="faint small">${fileSize(a.size)}</span></a
    >`;
  }

  private _renderLightbox() {
    const a = this._enlarged;
    if (!a) return nothing;
    const close = () => (this._enlarged = null);
    return html`<div
      class="lightbox"
      role="dialog"
      aria-modal="true"
      aria-label=${a.name}
      tabindex="-1"
      @click=${close}
      @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && close()}
    >
      <img src=${attachmentUrl(a.id)} alt=${a.name} />
      <div class="lightbox-bar">
        <a href=${attachmentUrl(a.id, true)} download=${a.name} @click=${(e: Event) => e.stopPropagation()}
          >${fill(this.ctx.t('att_download'), { name: a.name })}</a
        >
        <button @click=${close}>${this.ctx.t('att_close')}</button>
      </div>
    </div>`;
  }

  private _renderEntry(e: TranscriptEntry, visitorRead: number, lastAgentSeq: number, visitorName: string) {
    const { t, lang } = this.ctx;
    if (e.kind === 'update') {
      if (e.change === 'queue') return nothing;
      const label = has(`change_${e.change}`) ? t(`change_${e.change}` as Key) : e.change;
      const who = e.change === 'assigned' || e.change === 'transferred' ? (e.conversation.assignee?.name ?? '') : '';
      const reason =
        e.change === 'handoff' && e.conversation.handoffReason && has(`reason_${e.conversation.handoffReason}`)
          ? ` · ${t(`reason_${e.conversation.handoffReason}` as Key)}`
          : '';
      if (e.change === 'rated' && e.rating) {
        const r = e.rating;
        return html`<div class="event rating" data-rating>
          <span class="stars" aria-label="CSAT ${r.csat ?? ''}"
            >${r.csat !== undefined ? '★'.repeat(r.csat) + '☆'.repeat(5 - r.csat) : ''}</span
          >
          <span
            >${t('rating')}${r.csat !== undefined ? ` CSAT ${r.csat}/5` : ''}${r.nps !== undefined ? ` · NPS ${r.nps}` : ''}${
              r.ces !== undefined ? ` · CES ${r.ces}` : ''
            }</span
          >
          ${r.comment ? html`<q>${r.comment}</q>` : nothing}
          <span class="faint">${clock(e.at, lang)}</span>
        </div>`;
      }
      return html`<div class="event">
        <span>${label}${who ? ` ${who}` : ''}${reason}</span><span class="faint"> · ${clock(e.at, lang)}</span>
      </div>`;
    }
    const m = e.message;
    if (m.kind === 'system') return html`<div class="event"><span>${m.text}</span></div>`;
    const side = m.kind === 'note' ? 'note' : m.author.type;
    const author =
      m.kind === 'note'
        ? `${t('note')} · ${m.author.name ?? ''}`
        : m.author.type === 'bot'
          ? (m.author.name ?? t('botTurn'))
          : m.author.type === 'visitor'
            ? m.author.name || visitorName
            : (m.author.name ?? '');
    return html`<div class="msg ${side}" data-seq=${e.seq} data-kind=${m.kind} data-author=${m.author.type}>
      <div class="meta">
        <span class="author">${author}</span>
        <span class="faint">${clock(m.at, lang)}</span>
      </div>
      ${m.offline ? html`<div class="offline small">${t('offlineFrom')} ${m.offline.email}</div>` : nothing}
      ${m.attachment ? this._renderAttachment(m.attachment) : html`<div class="text">${m.author.type === 'bot' ? markdownLite(m.text) : m.text}</div>`}
      ${
        m.author.type === 'bot' && m.bot
          ? html`<div class="botmeta small" data-bot>
              ${m.bot.faqId ? html`<span>FAQ <code>${m.bot.faqId}</code></span>` : nothing}
              ${m.bot.confidence !== undefined ? html`<span>${t('confidence')} ${Math.round(m.bot.confidence * 100)}%</span>` : nothing}
              ${m.bot.outcome ? html`<span>${m.bot.outcome}</span>` : nothing}
              ${m.bot.intent && m.bot.intent !== m.bot.outcome && m.bot.intent !== 'unknown' ? html`<span>${m.bot.intent}</span>` : nothing}
            </div>`
          : nothing
      }
      ${m.author.type === 'bot' ? this._renderLabels(m) : nothing}
      ${e.seq === lastAgentSeq && visitorRead >= e.seq ? html`<div class="seen small faint" data-seen>${t('seen')}</div>` : nothing}
    </div>`;
  }

  override render() {
    if (!this.ctx) return nothing;
    const { t, store } = this.ctx;
    const conv = this._conv;
    const detail = this._detail.data;
    const transcript = store.transcript(this.conversationId);
    const entries = transcript ? [...transcript.entries.values()].sort((a, b) => a.seq - b.seq) : [];
    const visitorRead = store.visitorReadSeq(this.conversationId);
    const lastAgentSeq = entries.reduce(
      (max, e) => (e.kind === 'message' && e.message.author.type === 'agent' && e.message.kind === 'text' ? e.seq : max),
      0,
    );
    const typing = store.typingIn(this.conversationId);
    const name = conv?.visitor?.name || detail?.visitor.name || conv?.visitor?.email || t('anonymous');
    const mine = conv?.status === 'assigned' && conv.assignee?.id === this.ctx.me.id;
    const others = (this._agents.data?.agents ?? []).filter((a) => a.id !== this.ctx.me.id);
    if (store.isErased(this.conversationId)) {
      return html`<div class="main"><p class="pad" role="status" data-erased>${t('conversationErased')}</p></div>`;
    }
    if (this._detail.result.isError && !conv) {
      return html`<div class="main"><p class="error pad">${this._detail.result.error?.message}</p></div>`;
    }
    return html`
      <section class="main">
        <header>
          <slot name="back"></slot>
          <div class="title">
            <h2 data-visitor-name>${name}</h2>
            ${conv ? html`<span class="pill ${conv.status}" data-conv-status=${conv.status}>${t(`status_${conv.status}` as Key)}</span>` : nothing}
            ${conv?.assignee && !mine ? html`<span class="faint small">${conv.assignee.name}</span>` : nothing}
          </div>
          <button
            class="context-toggle"
            data-action="context"
            aria-expanded=${this._context ? 'true' : 'false'}
            aria-controls="context"
            @click=${() => this._toggleContext(!this._context)}
          >
            ${t('visitor')}
          </button>
          <div class="actions">
            ${
              conv && (conv.status === 'queued' || conv.status === 'bot')
                ? html`<button class="primary" data-action="claim" ?disabled=${this._busy} @click=${() => this.claim()}>
                    ${t('claim')}
                  </button>`
                : nothing
            }
            ${
              mine
                ? html`<button data-action="release" ?disabled=${this._busy} @click=${() => this._act(() => store.release(conv.id))}>
                      ${t('release')}
                    </button>
                    <select
                      data-action="transfer"
                      aria-label=${t('transferTo')}
                      ?disabled=${this._busy || !others.length}
                      @change=${(e: Event) => {
                        const sel = e.target as HTMLSelectElement;
                        const agentId = sel.value;
                        sel.value = '';
                        if (agentId) void this._act(() => store.transfer(conv.id, agentId));
                      }}
                    >
                      <option value="">${t('transfer')}</option>
                      ${others.map((a) => html`<option value=${a.id}>${a.name} (${t(a.status as Key)} · ${a.openChats}/${a.capacity})</option>`)}
                    </select>`
                : nothing
            }
            ${
              conv && conv.status !== 'resolved'
                ? html`<button data-action="resolve" ?disabled=${this._busy} @click=${() => this.resolveOrReopen()}>
                    ✓ ${t('resolve')}
                  </button>`
                : nothing
            }
            ${
              conv && conv.status === 'resolved'
                ? html`<button data-action="reopen" ?disabled=${this._busy} @click=${() => this.resolveOrReopen()}>${t('reopen')}</button>`
                : nothing
            }
          </div>
        </header>
        ${
          conv?.handoffReason && conv.status !== 'bot'
            ? html`<div class="handoff small" data-handoff-reason=${conv.handoffReason}>
                ${t('handoffReason')}:
                ${has(`reason_${conv.handoffReason}`) ? t(`reason_${conv.handoffReason}` as Key) : conv.handoffReason}
              </div>`
            : nothing
        }
        ${this._error ? html`<div class="error small pad" role="alert">${this._error}</div>` : nothing}
        <div
          class="transcript"
          role="log"
          aria-live="polite"
          @scroll=${(e: Event) => {
            const el = e.target as HTMLElement;
            this._stickToBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          ${entries.map((e) => this._renderEntry(e, visitorRead, lastAgentSeq, name))}
          ${typing ? html`<div class="typing small" data-typing>${typing.name || name} ${t('isTyping')}</div>` : nothing}
        </div>
        <servus-composer
          .ctx=${this.ctx}
          .conversation=${conv}
          .visitorName=${conv?.visitor?.name ?? detail?.visitor.name ?? ''}
          .visitorEmail=${conv?.visitor?.email ?? detail?.visitor.email ?? ''}
        ></servus-composer>
      </section>
      <div class="scrim ${this._context ? 'open' : ''}" @click=${() => this._toggleContext(false)}></div>
      <div
        class="context ${this._context ? 'open' : ''}"
        id="context"
        aria-label=${t('visitorDetails')}
        role="region"
        @keydown=${(e: KeyboardEvent) => {
          if (e.key !== 'Escape' || !this._context) return;
          e.stopPropagation();
          this._toggleContext(false);
        }}
      >
        <div class="sheet-head">
          <h2>${t('visitorDetails')}</h2>
          <button class="ghost" @click=${() => this._toggleContext(false)}>${t('close')}</button>
        </div>
        <servus-visitor-panel .ctx=${this.ctx} .detail=${detail} .conversation=${conv}></servus-visitor-panel>
      </div>
      ${this._renderLightbox()}
    `;
  }

  static override styles = [
    base,
    css`
      .att-image img {
        display: block;
        max-width: 240px;
        height: auto;
        border-radius: 8px;
        margin-top: 4px;
        cursor: zoom-in;
        background: rgba(0, 0, 0, 0.05);
      }
      .att-file {
        display: inline-flex;
        gap: 6px;
        align-items: baseline;
        margin-top: 4px;
        padding: 6px 10px;
        border: 1px solid var(--line);
        border-radius: 8px;
        background: var(--panel);
        color: inherit;
        text-decoration: none;
      }
      .att-file .att-name {
        text-decoration: underline;
      }
      .lightbox {
        position: fixed;
        inset: 0;
        z-index: 100;
        display: flex;
        flex-direction: column;
        align-items: center;
        justify-content: center;
        gap: 12px;
        background: rgba(0, 0, 0, 0.8);
        cursor: zoom-out;
      }
      .lightbox img {
        max-width: 92vw;
        max-height: 84vh;
        object-fit: contain;
      }
      .lightbox-bar {
        display: flex;
        gap: 12px;
      }
      .lightbox-bar a {
        color: #fff;
      }
      :host {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 280px;
        min-height: 0;
        background: var(--bg);
      }
      .main {
        display: flex;
        flex-direction: column;
        min-height: 0;
        min-width: 0;
      }
      header {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 12px;
        padding: 12px 18px;
        background: var(--panel);
        border-bottom: 1px solid var(--line);
      }
      .title {
        display: flex;
        flex: 1 1 auto;
        align-items: center;
        gap: 10px;
        min-width: 0;
      }
      .title h2 {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .actions select {
        max-width: 150px;
      }
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
        justify-content: flex-end;
      }
      .handoff {
        padding: 6px 18px;
        background: #fff9f2;
        color: #a14a0b;
        border-bottom: 1px solid #f6e3cf;
      }
      .pad {
        padding: 8px 18px;
        margin: 0;
      }
      .transcript {
        flex: 1;
        overflow-y: auto;
        padding: 18px 22px 8px;
        display: flex;
        flex-direction: column;
        gap: 10px;
      }
      .msg {
        max-width: 72%;
        padding: 8px 12px;
        border-radius: 12px;
        background: var(--panel);
        border: 1px solid var(--line);
        align-self: flex-start;
      }
      .msg .text {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .msg .meta {
        display: flex;
        gap: 8px;
        font-size: 11.5px;
        margin-bottom: 2px;
      }
      .msg .author {
        font-weight: 600;
        color: var(--muted);
      }
      .msg.agent {
        align-self: flex-end;
        background: var(--accent-soft);
        border-color: #d6defc;
      }
      .msg.bot {
        background: #f8f7fc;
        border-color: #e7e3f5;
      }
      .msg.note {
        align-self: stretch;
        max-width: none;
        background: var(--note);
        border: 1px dashed var(--note-line);
        border-radius: 8px;
      }
      .msg.note .author {
        color: #8a6d00;
      }
      .botmeta {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 10px;
        margin-top: 4px;
        color: #6c5fa3;
      }
      code {
        font:
          11.5px ui-monospace,
          monospace;
      }
      .offline {
        color: var(--muted);
      }
      .labels {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 4px 6px;
        margin-top: 6px;
      }
      .labels .visitor {
        margin-right: 4px;
        color: var(--muted);
      }
      .labels .visitor.wrong {
        color: var(--danger);
      }
      .labels .mark {
        padding: 1px 8px;
        font-size: 11.5px;
        border-radius: 999px;
      }
      .labels .mark[aria-pressed='true'] {
        background: var(--accent-soft);
        border-color: var(--accent);
        font-weight: 600;
      }
      .seen {
        text-align: right;
        margin-top: 2px;
      }
      .event {
        align-self: center;
        font-size: 12px;
        color: var(--muted);
        padding: 2px 10px;
      }
      .event.rating {
        background: #fff;
        border: 1px solid var(--line);
        border-radius: 999px;
        padding: 4px 12px;
        display: flex;
        gap: 8px;
        align-items: center;
        color: var(--text);
      }
      .stars {
        color: #f59f00;
        letter-spacing: 1px;
      }
      .typing {
        color: var(--accent);
        font-style: italic;
        padding: 0 4px;
      }
      .context {
        display: flex;
        flex-direction: column;
        min-height: 0;
        min-width: 0;
      }
      .context servus-visitor-panel {
        flex: 1;
      }
      .context-toggle,
      .sheet-head,
      .scrim {
        display: none;
      }
      @media ${contextSheet} {
        :host {
          grid-template-columns: minmax(0, 1fr);
        }
        .context-toggle {
          display: inline-block;
          flex: none;
        }
        .context-toggle[aria-expanded='true'] {
          background: var(--accent-soft);
          border-color: var(--accent);
        }
        .context {
          display: none;
        }
        .context.open {
          display: flex;
          position: fixed;
          z-index: 40;
          top: 0;
          right: 0;
          bottom: 0;
          width: min(340px, 100%);
          background: var(--panel);
          box-shadow: -8px 0 24px rgba(0, 0, 0, 0.15);
        }
        .sheet-head {
          display: flex;
          align-items: center;
          justify-content: space-between;
          gap: 8px;
          padding: 4px 6px 4px 16px;
          border-bottom: 1px solid var(--line);
        }
        .scrim.open {
          display: block;
          position: fixed;
          z-index: 39;
          inset: 0;
          background: rgba(15, 20, 30, 0.35);
        }
      }
      @media ${onePane} {
        header {
          flex-wrap: wrap;
          gap: 4px 8px;
          padding: 4px 8px 6px 4px;
        }
        .actions {
          flex-basis: 100%;
          justify-content: flex-start;
          padding-left: 4px;
        }
        .actions select {
          max-width: none;
          flex: 1 1 8em;
          min-width: 0;
        }
        /* A sheet from the bottom, as phones show them, at most most of the screen's height. */
        .context.open {
          top: auto;
          left: 0;
          width: auto;
          max-height: calc(var(--servus-viewport-height, 100dvh) * 0.85);
          border-radius: 12px 12px 0 0;
          box-shadow: 0 -8px 24px rgba(0, 0, 0, 0.15);
        }
        .context.open servus-visitor-panel {
          border-left: 0;
        }
        .handoff,
        .pad {
          padding-left: 12px;
          padding-right: 12px;
        }
        .transcript {
          padding: 12px 10px 6px;
        }
        .msg {
          max-width: 88%;
        }
        servus-composer {
          padding: 0 8px 8px;
        }
      }
    `,
  ];
}
customElements.define('servus-conversation', ServusConversation);
declare global {
  interface HTMLElementTagNameMap {
    'servus-conversation': ServusConversation;
  }
}
