// Shared look: calm neutrals, one accent, amber for internal notes. Every component adopts these.
// Text colours keep 4.5:1 against every background they sit on (WCAG AA, checked by axe).
import { css, unsafeCSS } from 'lit';

/**
 * Up to this width the console shows one pane at a time (list, then the conversation with a back
 * button) under a top bar: phones in either orientation and small tablets (docs/console.md).
 */
export const ONE_PANE_MAX_PX = 900;
/** Up to this width the visitor's context is a sheet opened from the conversation's header. */
export const CONTEXT_SHEET_MAX_PX = 1100;
/** Touch targets are at least this tall and wide on narrow screens and coarse pointers. */
export const TOUCH_TARGET_PX = 44;

/** The media query of the one-pane layout, for `@media ${onePane} { … }`. */
export const onePane = unsafeCSS(`(max-width: ${ONE_PANE_MAX_PX}px)`);
/** Where the visitor's context is a sheet rather than a column. */
export const contextSheet = unsafeCSS(`(max-width: ${CONTEXT_SHEET_MAX_PX}px)`);
/** Where fingers, not a mouse, hit the controls. */
export const touch = unsafeCSS(`(max-width: ${ONE_PANE_MAX_PX}px), (pointer: coarse)`);

export const base = css`
  :host {
    --accent: #3b5bdb;
    --accent-soft: #edf2ff;
    --text: #1f2328;
    --muted: #656d76;
    --faint: #656d76;
    --line: #e4e7eb;
    --bg: #f6f7f9;
    --panel: #ffffff;
    --hover: #f1f3f5;
    --note: #fff8db;
    --note-line: #f0d36b;
    --danger: #c92a2a;
    --ok: #2f7d3a;
    --warn: #e67700;
    --radius: 8px;
    box-sizing: border-box;
    color: var(--text);
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
    cursor: pointer;
    border: 1px solid var(--line);
    background: var(--panel);
    color: var(--text);
    border-radius: 6px;
    padding: 5px 10px;
    line-height: 1.3;
  }
  button:hover:not(:disabled) {
    background: var(--hover);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button.primary {
    background: var(--accent);
    border-color: var(--accent);
    color: #fff;
  }
  button.primary:hover:not(:disabled) {
    background: #364fc7;
  }
  button.ghost {
    border-color: transparent;
    background: transparent;
  }
  button.ghost:hover:not(:disabled) {
    background: var(--hover);
  }
  input,
  textarea,
  select {
    font: inherit;
    color: inherit;
    border: 1px solid var(--line);
    border-radius: 6px;
    padding: 6px 8px;
    background: var(--panel);
  }
  input:focus,
  textarea:focus,
  select:focus,
  button:focus-visible {
    outline: 2px solid #91a7ff;
    outline-offset: -1px;
    border-color: #91a7ff;
  }
  .muted {
    color: var(--muted);
  }
  .faint {
    color: var(--faint);
  }
  .small {
    font-size: 12px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
  }
  .pill {
    display: inline-block;
    font-size: 11px;
    line-height: 16px;
    padding: 0 6px;
    border-radius: 999px;
    background: var(--hover);
    color: var(--muted);
    white-space: nowrap;
  }
  .pill.queued {
    background: #fff4e6;
    color: #c2410c;
  }
  .pill.assigned {
    background: var(--accent-soft);
    color: var(--accent);
  }
  .pill.resolved {
    background: #ebfbee;
    color: var(--ok);
  }
  .pill.bot {
    background: #f3f0ff;
    color: #6741d9;
  }
  .error {
    color: var(--danger);
  }
  /* A refused field's message, under it (field-errors.ts). */
  .field-error {
    display: block;
    grid-column: 1 / -1;
    flex-basis: 100%;
    margin-top: 2px;
  }
  [aria-invalid='true'] {
    border-color: var(--danger);
  }
  h2 {
    font-size: 15px;
    margin: 0;
    font-weight: 600;
  }
  h3 {
    font-size: 12px;
    margin: 0 0 6px;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    color: var(--muted);
  }
  @media ${onePane} {
    /* Pages of cards take the screen's width, not their widest content's; wide tables scroll inside. */
    .page,
    section {
      min-width: 0;
      grid-template-columns: minmax(0, 1fr);
    }
    table {
      display: block;
      overflow-x: auto;
    }
  }
  @media ${touch} {
    button,
    select,
    input:not([type='checkbox']):not([type='radio']):not([type='range']) {
      min-height: ${TOUCH_TARGET_PX}px;
    }
    button {
      min-width: ${TOUCH_TARGET_PX}px;
    }
    /* 16 px text keeps mobile Safari from zooming into a field on focus. */
    input,
    textarea,
    select {
      font-size: 16px;
    }
  }
`;

/** A page of cards (settings, integrations): scrolls by itself; each `section` is a card. Width per page. */
export const cardPage = css`
  :host {
    display: block;
    overflow-y: auto;
    min-height: 0;
  }
  .page {
    padding: 20px 28px 40px;
    display: grid;
    gap: 18px;
  }
  section {
    background: var(--panel);
    border: 1px solid var(--line);
    border-radius: var(--radius);
    padding: 16px 18px;
    display: grid;
    gap: 12px;
  }
  @media ${onePane} {
    .page {
      padding: 12px 10px 32px;
    }
    section {
      padding: 12px;
    }
  }
`;

/** Tables of rows in a card (agents, tokens, webhooks, greetings). */
export const tables = css`
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th {
    text-align: left;
    font-weight: 500;
    font-size: 12px;
    color: var(--faint);
    padding: 4px 8px 6px 0;
    border-bottom: 1px solid var(--line);
  }
  td {
    padding: 7px 8px 7px 0;
    border-bottom: 1px solid #f3f4f6;
    vertical-align: top;
  }
`;
