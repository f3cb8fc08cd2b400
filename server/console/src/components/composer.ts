// The reply box: reply or internal note (amber, never sent to the visitor), `/shortcut` canned
// responses with `{{visitor.name}}`-style variables, Enter sends, Shift+Enter breaks the line.
// Sends typing updates while the agent writes a reply (not a note). A send always settles (ack,
// error, or the socket's timeout): on failure the text stays, and sending the same text again
// reuses the command's cid, so a reply that did reach the server is never stored twice.
import { LitElement, css, html, nothing } from 'lit';
import { newCid, type CannedListResponse, type CannedResponse, type ConversationView } from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api, errorText } from '../api.js';
import { expandVariables, unresolvedVariable } from '../format.js';
import { base } from '../styles.js';
import { slashTokenBefore } from './composer-token.js';
import { fill, upload, type Upload } from '../attachments.js';

/** Typing: refresh at most this often while writing, and stop after this long without a key. */
const TYPING_REFRESH_MS = 3000;
const TYPING_IDLE_MS = 4000;
const SUGGESTIONS_MAX = 8;

export class ServusComposer extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    conversation: { attribute: false },
    visitorName: {},
    visitorEmail: {},
    _note: { state: true },
    _token: { state: true },
    _active: { state: true },
    _error: { state: true },
    _sending: { state: true },
    _uploads: { state: true },
  };
  declare ctx: ConsoleContext;
  declare conversation: ConversationView | undefined;
  declare visitorName: string;
  declare visitorEmail: string;
  declare _note: boolean;
  declare _token: { start: number; query: string } | null;
  declare _active: number;
  declare _error: string;
  declare _sending: boolean;
  declare _uploads: Upload[];
  private _typingSentAt = 0;
  private _idleTimer: ReturnType<typeof setTimeout> | null = null;
  private _drafts = new Map<string, string>();
  private _draftFor: string | null = null;
  /** The last send that failed: what it was (conversation, mode, text) and its cid, for a retry. */
  private _failed: { what: string; cid: string } | null = null;

  private _canned = new QueryController<CannedListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({ queryKey: ['canned'], queryFn: ({ signal }) => api<CannedListResponse>('/api/canned', { signal }), staleTime: 60_000 }),
  );

  constructor() {
    super();
    this._note = false;
    this._token = null;
    this._active = 0;
    this._error = '';
    this._sending = false;
    this._uploads = [];
  }

  private get _input(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }

  focusInput(note: boolean): void {
    this._note = note;
    void this.updateComplete.then(() => this._input?.focus());
  }

  override willUpdate(): void {
    // Keep an unsent draft per conversation when switching between them.
    const id = this.conversation?.id ?? null;
    if (id !== this._draftFor) {
      const input = this._input;
      if (this._draftFor && input) this._drafts.set(this._draftFor, input.value);
      this._draftFor = id;
      this._error = '';
      this._token = null;
      if (input) input.value = (id && this._drafts.get(id)) || '';
      this._stopTyping();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._stopTyping();
  }

  private _suggestions(): CannedResponse[] {
    if (!this._token) return [];
    const q = this._token.query;
    return (this._canned.data?.canned ?? []).filter((c) => c.shortcut.toLowerCase().startsWith(q)).slice(0, SUGGESTIONS_MAX);
  }

  private _vars(): Record<string, string | undefined> {
    const name = this.visitorName || undefined;
    return {
      'visitor.name': name,
      'visitor.first_name': name?.split(/\s+/)[0],
      'visitor.email': this.visitorEmail || undefined,
      'agent.name': this.ctx.me.name,
    };
  }

  private _apply(c: CannedResponse): void {
    const input = this._input;
    if (!input || !this._token) return;
    const caret = input.selectionStart ?? input.value.length;
    const expanded = expandVariables(c.text, this._vars());
    input.value = input.value.slice(0, this._token.start) + expanded + input.value.slice(caret);
    const pos = this._token.start + expanded.length;
    input.setSelectionRange(pos, pos);
    this._token = null;
    input.focus();
  }

  private _onInput(): void {
    const input = this._input!;
    const wasOpen = this._token !== null;
    this._token = slashTokenBefore(input.value, input.selectionStart ?? input.value.length);
    // Someone may have added a canned response since: refresh the list when a shortcut starts.
    if (this._token && !wasOpen) void this._canned.refetch();
    this._active = 0;
    this._autosize();
    const conv = this.conversation;
    if (!conv || this._note || !input.value.trim()) {
      this._stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this._typingSentAt > TYPING_REFRESH_MS) {
      this._typingSentAt = now;
      this.ctx.store.setTyping(conv.id, true);
    }
    if (this._idleTimer) clearTimeout(this._idleTimer);
    this._idleTimer = setTimeout(() => this._stopTyping(), TYPING_IDLE_MS);
  }

  private _stopTyping(): void {
    if (this._idleTimer) clearTimeout(this._idleTimer);
    this._idleTimer = null;
    if (this._typingSentAt && this._draftFor) this.ctx?.store.setTyping(this._draftFor, false);
    this._typingSentAt = 0;
  }

  private _autosize(): void {
    const input = this._input;
    if (!input) return;
    input.style.height = 'auto';
    input.style.height = `${Math.min(240, input.scrollHeight + 2)}px`;
  }

  private _onKeyDown(e: KeyboardEvent): void {
    const list = this._suggestions();
    if (list.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        this._active = (this._active + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length;
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        this._apply(list[this._active] ?? list[0]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        this._token = null;
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this._send();
    }
  }

  private async _send(): Promise<void> {
    const input = this._input;
    const conv = this.conversation;
    if (!input || !conv || this._sending) return;
    const text = input.value.trim();
    if (!text) return;
    // A canned response's variable without a value (an anonymous visitor's name) never reaches the visitor.
    const left = this._note ? null : unresolvedVariable(text);
    if (left) {
      this._error = this.ctx.t('unresolvedVariable').replace('{v}', left);
      return;
    }
    this._sending = true;
    this._error = '';
    const note = this._note;
    const what = `${conv.id}\n${note ? 'note' : 'reply'}\n${text}`;
    const cid = this._failed?.what === what ? this._failed.cid : newCid('c');
    try {
      if (note) await this.ctx.store.addNote(conv.id, text, cid);
      else await this.ctx.store.sendMessage(conv.id, text, cid);
      this._failed = null;
      if (this.conversation?.id === conv.id) {
        input.value = '';
        this._autosize();
      }
      this._drafts.delete(conv.id);
      this._stopTyping();
    } catch (err) {
      this._failed = { what, cid };
      this._error = errorText(err, this.ctx.t);
    } finally {
      this._sending = false;
    }
  }

  /** Files from the paperclip, a drop or a paste: each uploaded at once, shown with its progress. */
  private _attach(files: Iterable<File>): void {
    const conv = this.conversation;
    if (!conv || conv.status === 'resolved') return;
    for (const file of files) this._startUpload({ cid: newCid('f'), file, conversationId: conv.id, progress: 0 });
  }

  private _startUpload(u: Upload): void {
    delete u.error;
    u.progress = 0;
    if (!this._uploads.includes(u)) this._uploads = [...this._uploads, u];
    const refresh = () => (this._uploads = [...this._uploads]);
    upload(u, refresh).then(
      () => (this._uploads = this._uploads.filter((x) => x !== u)),
      (err: unknown) => {
        if ((err as { code?: string }).code === 'ABORTED') return;
        u.error = errorText(err, this.ctx.t);
        refresh();
      },
    );
    refresh();
  }

  private _cancelUpload(u: Upload): void {
    u.abort?.();
    this._uploads = this._uploads.filter((x) => x !== u);
  }

  private _onPaste(e: ClipboardEvent): void {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    this._attach(files);
  }

  private _onDrop(e: DragEvent): void {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    if (e.type === 'drop') this._attach([...e.dataTransfer.files]);
  }

  private _renderUploads() {
    const { t } = this.ctx;
    const mine = this._uploads.filter((u) => u.conversationId === this.conversation?.id);
    if (!mine.length) return nothing;
    return html`<ul class="uploads">
      ${mine.map(
        (u) =>
          html`<li data-upload class=${u.error ? 'failed' : ''}>
            ${
              u.error
                ? html`<span class="error small" role="alert">${fill(t('att_failed'), { name: u.file.name, reason: u.error })}</span>
                    <button class="link" @click=${() => this._startUpload(u)}>${t('att_retry')}</button>`
                : html`<span class="small">${fill(t('att_uploading'), { name: u.file.name })}</span>
                    <progress max="1" .value=${u.progress}></progress>`
            }
            <button class="link" @click=${() => this._cancelUpload(u)}>${t('att_cancel')}</button>
          </li>`,
      )}
    </ul>`;
  }

  override render() {
    if (!this.ctx || !this.conversation) return nothing;
    const { t } = this.ctx;
    const resolved = this.conversation.status === 'resolved';
    const list = this._suggestions();
    const replyBlocked = resolved && !this._note;
    return html`<div
      class="box ${this._note ? 'note' : ''}"
      @dragover=${(e: DragEvent) => this._onDrop(e)}
      @drop=${(e: DragEvent) => this._onDrop(e)}
      @paste=${(e: ClipboardEvent) => this._onPaste(e)}
    >
      <div class="tabs" role="tablist">
        <button
          role="tab"
          aria-selected=${!this._note}
          class=${this._note ? '' : 'on'}
          data-mode="reply"
          @click=${() => this.focusInput(false)}
        >
          ${t('reply')}
        </button>
        <button
          role="tab"
          aria-selected=${this._note}
          class=${this._note ? 'on' : ''}
          data-mode="note"
          @click=${() => this.focusInput(true)}
        >
          ${t('note')}
        </button>
      </div>
      ${
        this._token && this._canned.data && !this._canned.data.canned.length
          ? html`<p class="canned-hint muted small" role="status">${t('noCannedYet')}</p>`
          : nothing
      }
      ${
        list.length
          ? html`<ul class="canned" role="listbox">
              ${list.map(
                (c, i) =>
                  html`<li
                    role="option"
                    aria-selected=${i === this._active}
                    class=${i === this._active ? 'on' : ''}
                    @mousedown=${(e: Event) => {
                      e.preventDefault();
                      this._apply(c);
                    }}
                  >
                    <b>/${c.shortcut}</b> <span class="muted">${c.text}</span>
                  </li>`,
              )}
            </ul>`
          : nothing
      }
      <textarea
        rows="2"
        aria-label=${this._note ? t('note') : t('reply')}
        placeholder=${replyBlocked ? t('status_resolved') : this._note ? t('notePlaceholder') : t('replyPlaceholder')}
        ?disabled=${replyBlocked}
        maxlength="4000"
        @input=${this._onInput}
        @keydown=${this._onKeyDown}
        @blur=${() => this._stopTyping()}
      ></textarea>
      ${this._renderUploads()}
      <div class="foot">
        <span class="error small">${this._error}</span>
        <input
          type="file"
          multiple
          hidden
          data-file
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            this._attach([...(input.files ?? [])]);
            input.value = '';
          }}
        />
        <button
          class="clip"
          data-attach
          title=${t('att_attach')}
          aria-label=${t('att_attach')}
          ?disabled=${this._note || resolved}
          @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input[data-file]')?.click()}
        >
          📎
        </button>
        <button class="primary" data-send ?disabled=${this._sending || replyBlocked} @click=${() => this._send()}>
          ${this._note ? t('addNote') : t('send')}
        </button>
      </div>
    </div>`;
  }

  static override styles = [
    base,
    css`
      :host {
        display: block;
        padding: 0 18px 16px;
      }
      .box {
        position: relative;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: 10px;
        box-shadow: 0 1px 2px rgba(0, 0, 0, 0.03);
      }
      .box.note {
        background: var(--note);
        border-color: var(--note-line);
      }
      .tabs {
        display: flex;
        gap: 2px;
        padding: 6px 8px 0;
      }
      .tabs button {
        border: 0;
        background: transparent;
        font-size: 12.5px;
        color: var(--muted);
        padding: 3px 8px;
      }
      .tabs button.on {
        color: var(--text);
        font-weight: 600;
        background: rgba(0, 0, 0, 0.05);
      }
      textarea {
        display: block;
        width: 100%;
        border: 0;
        background: transparent;
        resize: none;
        padding: 8px 12px;
        min-height: 52px;
      }
      textarea:focus {
        outline: none;
      }
      .uploads {
        list-style: none;
        margin: 0;
        padding: 0 12px 6px;
      }
      .uploads li {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .uploads progress {
        width: 120px;
      }
      .link {
        border: 0;
        background: none;
        color: var(--accent, inherit);
        text-decoration: underline;
        padding: 0;
        font-size: 12.5px;
      }
      .clip {
        margin-left: auto;
        margin-right: 6px;
        border: 0;
        background: transparent;
        font-size: 16px;
      }
      .foot {
        display: flex;
        justify-content: space-between;
        align-items: center;
        padding: 0 8px 8px 12px;
      }
      .canned {
        position: absolute;
        bottom: 100%;
        left: 0;
        right: 0;
        margin: 0 0 6px;
        padding: 4px;
        list-style: none;
        background: var(--panel);
        border: 1px solid var(--line);
        border-radius: 8px;
        box-shadow: 0 8px 24px rgba(0, 0, 0, 0.08);
      }
      .canned li {
        padding: 6px 8px;
        border-radius: 5px;
        cursor: pointer;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .canned li.on {
        background: var(--accent-soft);
      }
    `,
  ];
}
customElements.define('servus-composer', ServusComposer);
declare global {
  interface HTMLElementTagNameMap {
    'servus-composer': ServusComposer;
  }
}
