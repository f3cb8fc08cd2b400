// The visitor's context beside the transcript: who (verified or not), where (page, referrer),
// language, browser and OS, local time, earlier conversations, and the conversation's labels.
// All of it comes from the visitor's browser: shown as text; only http(s) page links are links.
import { LitElement, css, html, nothing } from 'lit';
import type { ConversationDetail, ConversationLabelsResponse, ConversationView } from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { api } from '../api.js';
import { describeUserAgent, localTimeIn, plainText, relative, safeHttpUrl } from '../format.js';
import type { Key } from '../i18n.js';
import { base } from '../styles.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export class ServusVisitorPanel extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    detail: { attribute: false },
    conversation: { attribute: false },
    _labelError: { state: true },
  };
  declare ctx: ConsoleContext;
  declare detail: ConversationDetail | undefined;
  declare conversation: ConversationView | undefined;
  declare _labelError: string;

  constructor() {
    super();
    this._labelError = '';
  }

  private async _setLabels(labels: string[]): Promise<void> {
    if (!this.detail) return;
    const id = this.detail.conversation.id;
    this._labelError = '';
    try {
      const r = await api<ConversationLabelsResponse>(`/api/conversations/${encodeURIComponent(id)}/labels`, {
        method: 'PUT',
        body: { labels },
      });
      this.ctx.qc.setQueryData<ConversationDetail>(['conversation', id], (old) => (old ? { ...old, labels: r.labels } : old));
      void this.ctx.qc.invalidateQueries({ queryKey: ['conversations'] });
    } catch (err) {
      this._labelError = (err as Error).message;
    }
  }

  private _link(url: string | undefined) {
    if (!url) return html`<span class="faint">–</span>`;
    const safe = safeHttpUrl(url);
    return safe
      ? html`<a href=${safe} target="_blank" rel="noopener noreferrer nofollow" title=${url}>${url}</a>`
      : html`<span class="raw" title=${url}>${url}</span>`;
  }

  override render() {
    if (!this.ctx) return nothing;
    const { t, lang } = this.ctx;
    const d = this.detail;
    if (!d) return html`<aside><p class="faint">…</p></aside>`;
    const v = d.visitor;
    const c = v.context;
    const ua = describeUserAgent(str(c.userAgent));
    const localTime = localTimeIn(str(c.timezone), Date.now(), lang);
    const row = (label: string, value: unknown) =>
      html`<dt>${label}</dt>
        <dd>${value}</dd>`;
    return html`<aside>
      <section>
        <h3>${t('visitor')}</h3>
        <div class="who">
          <div class="name" data-ctx="name">${v.name || t('anonymous')}</div>
          ${v.email ? html`<div class="email" data-ctx="email">${v.email}</div>` : nothing}
          <span class="pill ${v.verified ? 'resolved' : ''}" data-verified=${v.verified ? '1' : '0'}
            >${v.verified ? `✓ ${t('verified')}` : t('unverified')}</span
          >
        </div>
        <dl>
          ${row(t('page'), html`${str(c.title) ? html`<div class="ptitle" data-ctx="title">${str(c.title)}</div>` : nothing}${this._link(str(c.url))}`)}
          ${row(t('referrer'), this._link(str(c.referrer)))} ${row(t('language'), str(c.lang) ?? '–')}
          ${row(t('browser'), html`<span title=${str(c.userAgent) ?? ''} data-ctx="ua">${ua || '–'}</span>`)}
          ${localTime ? row(t('localTime'), localTime) : nothing}
        </dl>
      </section>
      <section>
        <h3>${t('labels')}</h3>
        <div class="labels">
          ${d.labels.map(
            (l) =>
              html`<span class="chip" data-label=${l}
                >${l}<button class="x" aria-label="${t('remove')} ${l}" @click=${() => this._setLabels(d.labels.filter((x) => x !== l))}>
                  ×
                </button></span
              >`,
          )}
          <input
            class="add"
            placeholder=${t('addLabel')}
            aria-label=${t('addLabel')}
            maxlength="64"
            @keydown=${(e: KeyboardEvent) => {
              const input = e.target as HTMLInputElement;
              if (e.key !== 'Enter' || !input.value.trim()) return;
              e.preventDefault();
              const next = [...new Set([...d.labels, input.value.trim()])];
              input.value = '';
              void this._setLabels(next);
            }}
          />
        </div>
        ${this._labelError ? html`<div class="error small">${this._labelError}</div>` : nothing}
      </section>
      <section>
        <h3>${t('earlier')}</h3>
        ${
          d.earlier.length
            ? html`<ul>
                ${d.earlier.map(
                  (e) =>
                    html`<li>
                      <a
                        href="/console/all/${e.id}"
                        @click=${(ev: MouseEvent) => {
                          ev.preventDefault();
                          this.ctx.navigate(`/console/all/${e.id}`);
                        }}
                      >
                        <span class="pill ${e.status}">${t(`status_${e.status}` as Key)}</span>
                        <span class="faint small">${relative(e.createdAt, Date.now(), lang)}</span>
                        <div class="preview small">${plainText(e.lastMessage?.text ?? '')}</div>
                      </a>
                    </li>`,
                )}
              </ul>`
            : html`<p class="faint small">${t('none')}</p>`
        }
      </section>
    </aside>`;
  }

  static override styles = [
    base,
    css`
      :host {
        display: block;
        border-left: 1px solid var(--line);
        background: var(--panel);
        overflow-y: auto;
        min-height: 0;
      }
      section {
        padding: 14px 16px;
        border-bottom: 1px solid #f0f1f3;
      }
      .who {
        display: grid;
        gap: 2px;
        justify-items: start;
        margin-bottom: 10px;
      }
      .name {
        font-weight: 600;
        font-size: 15px;
        overflow-wrap: anywhere;
      }
      .email {
        color: var(--muted);
        overflow-wrap: anywhere;
      }
      dl {
        display: grid;
        gap: 8px;
        margin: 0;
      }
      dt {
        font-size: 11.5px;
        color: var(--faint);
      }
      dd {
        margin: -6px 0 0;
        overflow-wrap: anywhere;
        font-size: 13px;
      }
      a {
        color: var(--accent);
        text-decoration: none;
      }
      a:hover {
        text-decoration: underline;
      }
      .raw {
        color: var(--muted);
      }
      .ptitle {
        font-weight: 500;
      }
      .labels {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        align-items: center;
      }
      .chip {
        display: inline-flex;
        align-items: center;
        gap: 2px;
        background: var(--accent-soft);
        color: var(--accent);
        border-radius: 999px;
        padding: 0 2px 0 8px;
        font-size: 12px;
      }
      .chip .x {
        border: 0;
        background: transparent;
        color: inherit;
        padding: 0 5px;
        font-size: 13px;
      }
      .add {
        border: 1px dashed var(--line);
        font-size: 12px;
        padding: 2px 8px;
        width: 120px;
        border-radius: 999px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 8px;
      }
      ul a {
        display: block;
        color: inherit;
      }
      .preview {
        color: var(--muted);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
    `,
  ];
}
customElements.define('servus-visitor-panel', ServusVisitorPanel);
declare global {
  interface HTMLElementTagNameMap {
    'servus-visitor-panel': ServusVisitorPanel;
  }
}
