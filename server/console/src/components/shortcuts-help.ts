// The keyboard shortcut sheet (`?`).
import { LitElement, css, html } from 'lit';
import type { Key } from '../i18n.js';
import { base } from '../styles.js';

export const SHORTCUTS: [string, Key][] = [
  ['?', 'sc_help'],
  ['j / k', 'sc_next'],
  ['g q · g m · g a', 'sc_queue'],
  ['r', 'sc_reply'],
  ['n', 'sc_note'],
  ['a', 'sc_claim'],
  ['e', 'sc_resolve'],
  ['/', 'sc_search'],
  ['Esc', 'sc_escape'],
];

export class ServusShortcuts extends LitElement {
  static override properties = { t: { attribute: false } };
  declare t: (key: Key) => string;

  override firstUpdated(): void {
    this.renderRoot.querySelector<HTMLButtonElement>('button')?.focus();
  }

  override render() {
    const close = () => this.dispatchEvent(new CustomEvent('close'));
    return html`<div class="backdrop" @click=${close}></div>
      <div class="sheet" role="dialog" aria-modal="true" aria-labelledby="sc-title">
        <h2 id="sc-title">${this.t('shortcuts')}</h2>
        <dl>
          ${SHORTCUTS.map(
            ([keys, label]) =>
              html`<dt><kbd>${keys}</kbd></dt>
                <dd>${this.t(label)}</dd>`,
          )}
        </dl>
        <button @click=${close}>${this.t('close')}</button>
      </div>`;
  }

  static override styles = [
    base,
    css`
      .backdrop {
        position: fixed;
        inset: 0;
        background: rgba(20, 25, 35, 0.35);
      }
      .sheet {
        position: fixed;
        top: 12vh;
        left: 50%;
        transform: translateX(-50%);
        width: 420px;
        background: var(--panel);
        border-radius: 12px;
        padding: 20px 22px;
        box-shadow: 0 20px 60px rgba(0, 0, 0, 0.2);
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 8px 16px;
        margin: 16px 0;
      }
      dt,
      dd {
        margin: 0;
      }
      kbd {
        font:
          12px ui-monospace,
          monospace;
        background: var(--hover);
        border: 1px solid var(--line);
        border-radius: 4px;
        padding: 1px 6px;
      }
    `,
  ];
}
customElements.define('servus-shortcuts', ServusShortcuts);
declare global {
  interface HTMLElementTagNameMap {
    'servus-shortcuts': ServusShortcuts;
  }
}
