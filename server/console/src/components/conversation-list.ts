// The middle column: the live queue (oldest first, with waiting timers), the agent's own
// conversations (live), or all conversations with status/label filters and full-text search (REST,
// refreshed whenever the live log reports a change).
import { LitElement, css, html, nothing } from 'lit';
import type { ConversationListResponse, ConversationView } from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { LiveController } from '../controllers/live-controller.js';
import { api } from '../api.js';
import { duration, plainText, relative } from '../format.js';
import type { Section } from '../router.js';
import type { Key } from '../i18n.js';
import { TOUCH_TARGET_PX, base, touch } from '../styles.js';

/** Rows the "All" list loads at once (newest first). */
const ALL_LIMIT = 100;

type StatusFilter = 'all' | 'queued' | 'assigned' | 'resolved' | 'bot';

export class ServusConversationList extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    section: {},
    selectedId: {},
    tick: { type: Number },
    _status: { state: true },
    _q: { state: true },
    _label: { state: true },
  };
  declare ctx: ConsoleContext;
  declare section: Section;
  declare selectedId: string | null;
  declare tick: number;
  declare _status: StatusFilter;
  declare _q: string;
  declare _label: string;
  private _live = new LiveController(this, () => this.ctx?.store, 1000);
  private _searchTimer: ReturnType<typeof setTimeout> | null = null;

  private _all = new QueryController<ConversationListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['conversations', this._status, this._q, this._label],
      queryFn: ({ signal }) => {
        const p = new URLSearchParams({ status: this._status, limit: String(ALL_LIMIT) });
        if (this._q) p.set('q', this._q);
        if (this._label) p.set('label', this._label);
        return api(`/api/conversations?${p}`, { signal });
      },
      enabled: this.section === 'all',
      placeholderData: (prev) => prev,
    }),
  );

  // Socket views carry no visitor details or previews: the same lists over REST fill them in.
  private _details = new QueryController<ConversationListResponse>(
    this,
    () => this.ctx?.qc,
    () => ({
      queryKey: ['conversations', 'live', this.section],
      queryFn: ({ signal }) =>
        api(
          this.section === 'mine' ? '/api/conversations?status=assigned&mine=1&limit=200' : '/api/conversations?status=queued&limit=200',
          {
            signal,
          },
        ),
      enabled: this.section === 'queue' || this.section === 'mine',
      placeholderData: (prev) => prev,
    }),
  );

  constructor() {
    super();
    this._status = 'all';
    this._q = '';
    this._label = '';
    this.selectedId = null;
  }

  private _items(): ConversationView[] {
    if (this.section === 'queue' || this.section === 'mine') {
      const rest = new Map((this._details.data?.conversations ?? []).map((c) => [c.id, c]));
      const live = this.section === 'queue' ? this.ctx.store.queue() : this.ctx.store.mine();
      return live.map((c) => {
        const r = rest.get(c.id);
        return r ? { ...c, visitor: c.visitor ?? r.visitor, lastMessage: c.lastMessage ?? r.lastMessage } : c;
      });
    }
    // Live views override the REST rows they share, so a status change shows at once.
    return (this._all.data?.conversations ?? []).map((c) => {
      const live = this.ctx.store.conversation(c.id);
      return live && live.updatedAt >= c.updatedAt ? { ...c, ...live, lastMessage: live.lastMessage ?? c.lastMessage } : c;
    });
  }

  /** j/k: select the next or previous conversation. */
  move(delta: number): void {
    const items = this._items();
    if (!items.length) return;
    const i = items.findIndex((c) => c.id === this.selectedId);
    const next = items[Math.min(items.length - 1, Math.max(0, i < 0 ? 0 : i + delta))]!;
    this._select(next.id);
  }

  focusSearch(): void {
    if (this.section !== 'all') this.ctx.navigate('/console/all');
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('input[type=search]')?.focus());
  }

  private _select(id: string): void {
    this.dispatchEvent(new CustomEvent('select', { detail: id }));
  }

  override render() {
    const { t, store, lang } = this.ctx;
    const items = this._items();
    const now = Date.now();
    const title = this.section === 'queue' ? t('queue') : this.section === 'mine' ? t('mine') : t('all');
    const empty = this.section === 'queue' ? t('emptyQueue') : this.section === 'mine' ? t('emptyMine') : t('emptyList');
    return html`
      <header>
        <h2>${title} <span class="faint">${items.length >= ALL_LIMIT ? `${ALL_LIMIT}+` : items.length || ''}</span></h2>
        ${
          this.section === 'all'
            ? html`<div class="filters">
                <input
                  type="search"
                  placeholder=${t('search')}
                  aria-label=${t('search')}
                  .value=${this._q}
                  @input=${(e: Event) => {
                    const v = (e.target as HTMLInputElement).value;
                    if (this._searchTimer) clearTimeout(this._searchTimer);
                    this._searchTimer = setTimeout(() => (this._q = v.trim()), 250);
                  }}
                />
                <div class="row">
                  <select
                    aria-label="Status"
                    @change=${(e: Event) => (this._status = (e.target as HTMLSelectElement).value as StatusFilter)}
                  >
                    <option value="all">${t('anyStatus')}</option>
                    ${(['queued', 'assigned', 'resolved', 'bot'] as const).map(
                      (s) => html`<option value=${s} ?selected=${this._status === s}>${t(`status_${s}`)}</option>`,
                    )}
                  </select>
                  <input
                    class="label"
                    placeholder=${t('labels')}
                    aria-label=${t('labels')}
                    @change=${(e: Event) => (this._label = (e.target as HTMLInputElement).value.trim())}
                  />
                </div>
              </div>`
            : nothing
        }
      </header>
      ${
        // Outside the listbox: a listbox holds options only (axe: aria-required-children).
        items.length === 0 ? html`<p class="none muted">${this.section === 'all' && this._all.result.isPending ? '…' : empty}</p>` : nothing
      }
      <ul role="listbox" aria-label=${title}>
        ${items.map((c) => {
          const name = c.visitor?.name || c.visitor?.email || t('anonymous');
          const unread = store.isUnread(c.id);
          const typing = store.typingIn(c.id);
          const waitingSince = c.status === 'queued' ? (c.queuedAt ?? c.updatedAt) : null;
          return html`<li
            role="option"
            aria-selected=${c.id === this.selectedId ? 'true' : 'false'}
            class=${[c.id === this.selectedId ? 'sel' : '', unread ? 'unread' : ''].join(' ')}
            data-id=${c.id}
            @click=${() => this._select(c.id)}
          >
            <div class="top">
              <span class="name">${name}</span>
              ${
                waitingSince !== null
                  ? html`<span class="wait" title=${t('waiting')} data-wait>${duration(now - waitingSince)}</span>`
                  : html`<span class="time faint">${relative(c.updatedAt, now, lang)}</span>`
              }
            </div>
            <div class="bottom">
              <span class="preview ${typing ? 'typing' : ''}"
                >${typing ? t('isTyping') : c.lastMessage?.attachment ? `📎 ${c.lastMessage.attachment.name}` : plainText(c.lastMessage?.text ?? '')}</span
              >
              ${
                this.section === 'all' || c.status !== (this.section === 'queue' ? 'queued' : 'assigned')
                  ? html`<span class="pill ${c.status}">${t(`status_${c.status}` as Key)}</span>`
                  : nothing
              }
            </div>
            ${this.section === 'all' && c.assignee ? html`<div class="faint small">${c.assignee.name}</div>` : nothing}
          </li>`;
        })}
      </ul>
    `;
  }

  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        border-right: 1px solid var(--line);
        background: var(--panel);
      }
      header {
        padding: 14px 14px 10px;
        border-bottom: 1px solid var(--line);
        display: grid;
        gap: 10px;
      }
      .filters {
        display: grid;
        gap: 6px;
      }
      .filters input[type='search'] {
        width: 100%;
      }
      .row {
        display: flex;
        gap: 6px;
      }
      .row select {
        flex: 1;
      }
      .row input {
        width: 45%;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        overflow-y: auto;
        flex: 1;
      }
      li {
        padding: 10px 14px;
        border-bottom: 1px solid #f0f1f3;
        cursor: pointer;
        display: grid;
        gap: 2px;
        border-left: 3px solid transparent;
      }
      li:hover {
        background: #fafbfc;
      }
      li.sel {
        background: var(--accent-soft);
        border-left-color: var(--accent);
      }
      .none {
        margin: 0;
        padding: 28px 14px;
        text-align: center;
      }
      .top,
      .bottom {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
        min-width: 0;
      }
      .name {
        font-weight: 500;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      li.unread .name::after {
        content: '';
        display: inline-block;
        width: 7px;
        height: 7px;
        border-radius: 50%;
        background: var(--accent);
        margin-left: 6px;
        vertical-align: middle;
      }
      .preview {
        color: var(--muted);
        font-size: 13px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        min-width: 0;
      }
      .preview.typing {
        color: var(--accent);
        font-style: italic;
      }
      .wait {
        font-variant-numeric: tabular-nums;
        font-size: 12px;
        color: #c2410c;
        font-weight: 500;
      }
      .time {
        font-size: 12px;
        white-space: nowrap;
      }
      @media ${touch} {
        li {
          min-height: ${TOUCH_TARGET_PX}px;
        }
      }
    `,
  ];
}
customElements.define('servus-conversation-list', ServusConversationList);
declare global {
  interface HTMLElementTagNameMap {
    'servus-conversation-list': ServusConversationList;
  }
}
