// The console shell: login gate, left navigation with the agent's status, the router, keyboard
// shortcuts, and the tab-title count. Sections render into the middle and right columns; on a
// phone (up to ONE_PANE_MAX_PX) one pane at a time under a top bar whose other links sit in a menu.
import { LitElement, css, html, nothing } from 'lit';
import { api, setUnauthorizedHandler } from '../api.js';
import type { AgentProfile, AgentSessionResponse } from '@servus/shared';
import { createConsoleContext, type ConsoleContext } from '../context.js';
import { defaultLang, translator, type Lang } from '../i18n.js';
import { parseRoute, routePath, type Route, type Section } from '../router.js';
import { setTitleCount } from '../notify.js';
import { LiveController } from '../controllers/live-controller.js';
import type { AgentStatus } from '../live/store.js';
import { base, onePane } from '../styles.js';
import './login.js';
import './conversation-list.js';
import './conversation-view.js';
import './faq-editor.js';
import './settings-page.js';
import './integrations-page.js';
import './shortcuts-help.js';

export class ServusConsole extends LitElement {
  static override properties = {
    _me: { state: true },
    _route: { state: true },
    _lang: { state: true },
    _checked: { state: true },
    _help: { state: true },
    _tick: { state: true },
    _menu: { state: true },
  };

  declare _me: AgentProfile | null;
  declare _route: Route;
  declare _lang: Lang;
  declare _checked: boolean;
  declare _help: boolean;
  declare _tick: number;
  /** The top bar's menu, open (one-pane layout only). */
  declare _menu: boolean;
  private _ctx: ConsoleContext | undefined;
  private _live = new LiveController(this, () => this._ctx?.store);

  constructor() {
    super();
    this._me = null;
    this._route = parseRoute(location.pathname);
    this._lang = defaultLang();
    this._checked = false;
    this._help = false;
    this._tick = 0;
    this._menu = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this._onPopState);
    document.addEventListener('keydown', this._onKey);
    window.visualViewport?.addEventListener('resize', this._onViewport);
    this._onViewport();
    setUnauthorizedHandler(() => this._signedOut());
    void api<AgentSessionResponse>('/api/auth/me')
      .then((r) => this._signedIn(r.agent))
      .catch(() => {})
      .finally(() => (this._checked = true));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onPopState);
    document.removeEventListener('keydown', this._onKey);
    window.visualViewport?.removeEventListener('resize', this._onViewport);
    this._ctx?.dispose();
  }

  private _signedIn(me: AgentProfile): void {
    this._me = me;
    // The language the agent chose in their profile, on any device.
    if (me.lang && me.lang !== this._lang) this._setLang(me.lang);
    this._ctx?.dispose();
    this._ctx = createConsoleContext({
      me,
      t: translator(this._lang),
      lang: this._lang,
      navigate: (p) => this._navigate(p),
      onChange: () => this._tick++,
    });
    this.requestUpdate();
  }

  private _signedOut(): void {
    this._ctx?.dispose();
    this._ctx = undefined;
    this._me = null;
  }

  private _navigate(path: string, replace = false): void {
    if (location.pathname !== path) history[replace ? 'replaceState' : 'pushState'](null, '', path);
    this._route = parseRoute(path);
    this._menu = false;
  }

  /**
   * The console is as tall as what the agent can see: an on-screen keyboard that shrinks only the
   * visual viewport (mobile Safari) would otherwise cover the composer. Pinch zoom shrinks the visual
   * viewport too, but at a scale above 1: the height stays as it was then.
   */
  private _onViewport = () => {
    const vv = window.visualViewport;
    if (!vv || vv.scale > 1.01) return;
    this.style.setProperty('--servus-viewport-height', `${Math.round(vv.height)}px`);
  };

  private _go(section: Section, conversationId: string | null = null): void {
    this._navigate(routePath({ section, conversationId }));
  }

  private _onPopState = () => {
    this._route = parseRoute(location.pathname);
  };

  /** The agent saved their profile: the new name in the navigation, their language if they chose one. */
  private _meChanged(me: AgentProfile): void {
    if (me.lang && me.lang !== this._lang) this._setLang(me.lang);
    else this.requestUpdate();
  }

  private _setLang(lang: Lang): void {
    this._lang = lang;
    try {
      localStorage.setItem('servus.lang', lang);
    } catch {
      /* only for this tab then */
    }
    if (this._ctx) {
      this._ctx.t = translator(lang);
      this._ctx.lang = lang;
    }
    document.documentElement.lang = lang;
    this.requestUpdate();
  }

  /** Global shortcuts; typing in a field is never hijacked (except Escape). */
  private _onKey = (e: KeyboardEvent) => {
    if (!this._ctx || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const path = e.composedPath();
    const inField = path.some((el) => el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)));
    if (e.key === 'Escape') {
      if (this._help) this._help = false;
      else if (this._menu) this._closeMenu();
      else (path[0] as HTMLElement | undefined)?.blur?.();
      return;
    }
    if (inField) return;
    const list = () => this.renderRoot.querySelector('servus-conversation-list');
    const view = () => this.renderRoot.querySelector('servus-conversation');
    switch (e.key) {
      case '?':
        this._help = !this._help;
        break;
      case 'g':
        this._pendingG = true;
        setTimeout(() => (this._pendingG = false), 1000);
        return;
      case 'q':
      case 'm':
      case 'a':
        if (this._pendingG) this._go(e.key === 'q' ? 'queue' : e.key === 'm' ? 'mine' : 'all');
        else if (e.key === 'a') view()?.claim();
        else return;
        break;
      case 'j':
      case 'k':
        list()?.move(e.key === 'j' ? 1 : -1);
        break;
      case 'r':
        view()?.focusComposer(false);
        break;
      case 'n':
        view()?.focusComposer(true);
        break;
      case 'e':
        view()?.resolveOrReopen();
        break;
      case '/':
        list()?.focusSearch();
        break;
      default:
        return;
    }
    this._pendingG = false;
    e.preventDefault();
  };
  private _pendingG = false;

  /** The dashboard (charts) is its own chunk, loaded the first time its route is shown. */
  private _dashboard: Promise<unknown> | null = null;

  override willUpdate(): void {
    if (this._route.section === 'dashboard' && !this._dashboard) this._dashboard = import('../dashboard/index.js');
  }

  override render() {
    if (!this._checked) return html``;
    if (!this._me || !this._ctx) {
      return html`<servus-login
        .lang=${this._lang}
        @lang=${(e: CustomEvent<Lang>) => this._setLang(e.detail)}
        @signed-in=${(e: CustomEvent<AgentProfile>) => this._signedIn(e.detail)}
      ></servus-login>`;
    }
    const ctx = this._ctx;
    const { t, store } = ctx;
    const queued = store.queue().length;
    setTitleCount(queued + store.unreadCount);
    const r = this._route;
    const convSection = r.section === 'queue' || r.section === 'mine' || r.section === 'all';
    const counts: Partial<Record<Section, number>> = { queue: queued, mine: store.mine().length };
    const labels: Record<Section, string> = {
      queue: t('queue'),
      mine: t('mine'),
      all: t('all'),
      faq: t('faq'),
      dashboard: t('dashboard'),
      settings: t('settings'),
      integrations: t('integrations'),
    };
    const conn = ctx.connection !== 'online' ? html`<div class="conn" role="status">${t('connecting')}</div>` : nothing;
    const nav = (section: Section, label: string, count?: number, key?: string) =>
      html`<a
        href=${routePath({ section, conversationId: null })}
        class=${r.section === section ? 'active' : ''}
        aria-current=${r.section === section ? 'page' : 'false'}
        data-nav=${section}
        title=${key ?? ''}
        @click=${(e: MouseEvent) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
          e.preventDefault();
          this._go(section);
        }}
        >${label}${count ? html`<span class="badge" data-count=${section}>${count}</span>` : nothing}</a
      >`;
    const inConversation = convSection && r.conversationId !== null;
    return html`
      <div class="shell ${convSection ? 'three' : 'two'} ${inConversation ? 'in-conversation' : ''}">
        <nav aria-label=${t('navigation')}>
          <div class="brand">Servus</div>
          ${nav('queue', labels.queue, counts.queue, 'g q')} ${nav('mine', labels.mine, counts.mine, 'g m')}
          ${nav('all', labels.all, 0, 'g a')}
          <button
            class="menu-button"
            data-menu
            aria-expanded=${this._menu ? 'true' : 'false'}
            aria-controls="more"
            @click=${() => (this._menu ? this._closeMenu() : this._openMenu())}
          >
            <span class="dot ${store.status}"></span><span aria-hidden="true" class="burger">☰</span
            ><span class="sr-only">${t('menu')}</span>
          </button>
          <div class="more ${this._menu ? 'open' : ''}" id="more">
            <div class="sep"></div>
            ${nav('faq', labels.faq)} ${nav('dashboard', labels.dashboard)} ${nav('settings', labels.settings)}
            ${ctx.me.role === 'admin' ? nav('integrations', labels.integrations) : nothing}
            <div class="grow"></div>
            ${conn}
            <div class="me">
              <div class="who"><span class="dot ${store.status}"></span>${ctx.me.name}</div>
              <select
                aria-label="Status"
                data-status
                .value=${store.status}
                @change=${(e: Event) => store.setStatus((e.target as HTMLSelectElement).value as AgentStatus)}
              >
                <option value="online">${t('online')}</option>
                <option value="away">${t('away')}</option>
                <option value="offline">${t('offline')}</option>
              </select>
              <div class="row">
                <button class="ghost small" @click=${() => this._setLang(this._lang === 'de' ? 'en' : 'de')}>
                  ${this._lang === 'de' ? 'EN' : 'DE'}
                </button>
                <button class="ghost small" title=${t('shortcuts')} @click=${() => (this._help = true)}>?</button>
                <button class="ghost small" @click=${this._logout}>${t('logout')}</button>
              </div>
            </div>
          </div>
        </nav>
        <div class="conn-bar">${conn}</div>
        ${
          convSection
            ? html`<servus-conversation-list
                  .ctx=${ctx}
                  .section=${r.section}
                  .selectedId=${r.conversationId}
                  .tick=${this._tick}
                  @select=${(e: CustomEvent<string>) => this._go(r.section, e.detail)}
                ></servus-conversation-list>
                ${
                  r.conversationId
                    ? html`<servus-conversation .ctx=${ctx} .conversationId=${r.conversationId} .tick=${this._tick}>
                        <button slot="back" class="back" data-back @click=${() => this._go(r.section)}>
                          <span aria-hidden="true">‹</span> <span class="sr-only">${t('backTo')}</span> ${labels[r.section]}${
                            counts[r.section] ? html` <span class="badge">${counts[r.section]}</span>` : nothing
                          }
                        </button>
                      </servus-conversation>`
                    : html`<div class="empty muted">${t('selectConversation')}</div>`
                }`
            : r.section === 'faq'
              ? html`<servus-faq-editor .ctx=${ctx}></servus-faq-editor>`
              : r.section === 'dashboard'
                ? html`<div class="page"><servus-dashboard .client=${ctx.qc}></servus-dashboard></div>`
                : r.section === 'integrations'
                  ? html`<servus-integrations .ctx=${ctx}></servus-integrations>`
                  : html`<servus-settings
                      .ctx=${ctx}
                      .tick=${this._tick}
                      @me-changed=${(e: CustomEvent<AgentProfile>) => this._meChanged(e.detail)}
                    ></servus-settings>`
        }
      </div>
      ${this._help ? html`<servus-shortcuts .t=${t} @close=${() => (this._help = false)}></servus-shortcuts>` : nothing}
    `;
  }

  private _openMenu(): void {
    this._menu = true;
    // The first link of the menu takes the focus, as a disclosure menu's keyboard users expect.
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('.more a')?.focus());
  }

  private _closeMenu(): void {
    this._menu = false;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[data-menu]')?.focus());
  }

  private _logout = async () => {
    await api('/api/auth/logout', { method: 'POST', body: {} }).catch(() => {});
    this._signedOut();
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
        height: 100vh;
        /* The visible height: dvh follows the browser's bars; the script's figure follows a keyboard. */
        height: var(--servus-viewport-height, 100dvh);
      }
      .shell {
        display: grid;
        height: 100%;
        grid-template-columns: 196px 320px minmax(0, 1fr);
      }
      .shell.two {
        grid-template-columns: 196px minmax(0, 1fr);
      }
      nav {
        display: flex;
        flex-direction: column;
        gap: 2px;
        padding: 14px 10px;
        background: #1d2230;
        color: #c9cfdb;
        min-height: 0;
      }
      .brand {
        font-weight: 700;
        font-size: 16px;
        color: #fff;
        padding: 2px 10px 14px;
        letter-spacing: 0.01em;
      }
      nav a {
        display: flex;
        align-items: center;
        justify-content: space-between;
        color: inherit;
        text-decoration: none;
        padding: 6px 10px;
        border-radius: 6px;
      }
      nav a:hover {
        background: #2a3142;
        color: #fff;
      }
      nav a.active {
        background: #323b52;
        color: #fff;
      }
      .badge {
        background: #c2410c;
        color: #fff;
        font-size: 11px;
        font-weight: 600;
        min-width: 18px;
        text-align: center;
        padding: 0 5px;
        border-radius: 9px;
        line-height: 18px;
      }
      .sep {
        height: 1px;
        background: #2e3546;
        margin: 8px 4px;
      }
      .grow {
        flex: 1;
      }
      .conn {
        font-size: 12px;
        color: #ffd43b;
        padding: 6px 10px;
      }
      .me {
        border-top: 1px solid #2e3546;
        padding: 10px 4px 0;
        display: grid;
        gap: 6px;
      }
      .who {
        color: #fff;
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 0 6px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .dot {
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: #868e96;
        flex: none;
      }
      .dot.online {
        background: #40c057;
      }
      .dot.away {
        background: #fab005;
      }
      .me select {
        background: #262c3b;
        color: #dde2ea;
        border-color: #38405a;
        width: 100%;
      }
      .me .row {
        display: flex;
        gap: 2px;
      }
      .me button.ghost {
        color: #aab2c0;
        font-size: 12px;
        padding: 3px 6px;
      }
      .me button.ghost:hover {
        background: #2a3142;
        color: #fff;
      }
      .empty {
        display: grid;
        place-items: center;
        background: var(--bg);
      }
      .page {
        overflow: auto;
        padding: 20px 24px;
      }
      /* Desktop: the menu's content is part of the sidebar, in the sidebar's order. */
      .more {
        display: contents;
      }
      .more .conn {
        order: 1;
      }
      .me {
        order: 2;
      }
      .menu-button,
      .conn-bar,
      .back {
        display: none;
      }
      @media ${onePane} {
        .shell,
        .shell.two {
          grid-template-columns: minmax(0, 1fr);
          grid-template-rows: auto minmax(0, 1fr);
        }
        /* One pane at a time: the list, or the conversation (with its back button) on its own. */
        .shell.in-conversation {
          grid-template-rows: minmax(0, 1fr);
        }
        .shell.in-conversation nav,
        .shell.in-conversation servus-conversation-list,
        .shell:not(.in-conversation) .empty {
          display: none;
        }
        nav {
          position: relative;
          flex-direction: row;
          align-items: center;
          padding: 0 6px;
          gap: 2px;
        }
        .brand {
          display: none;
        }
        nav a {
          min-height: 44px;
          min-width: 44px;
          justify-content: center;
          gap: 6px;
          padding: 0 10px;
          white-space: nowrap;
        }
        .menu-button {
          display: inline-flex;
          align-items: center;
          justify-content: center;
          gap: 6px;
          margin-left: auto;
          background: transparent;
          border-color: transparent;
          color: #fff;
          font-size: 18px;
        }
        .menu-button:hover:not(:disabled),
        .menu-button[aria-expanded='true'] {
          background: #323b52;
        }
        .more {
          display: none;
        }
        .more.open {
          display: flex;
          flex-direction: column;
          gap: 2px;
          position: absolute;
          z-index: 20;
          top: 100%;
          left: 0;
          right: 0;
          max-height: calc(var(--servus-viewport-height, 100dvh) - 48px);
          overflow-y: auto;
          padding: 0 10px 12px;
          background: #1d2230;
          box-shadow: 0 12px 24px rgba(0, 0, 0, 0.25);
        }
        .more a {
          justify-content: space-between;
        }
        .more .grow,
        .more .conn {
          display: none;
        }
        .me .row button.ghost {
          flex: 1;
          font-size: 14px;
        }
        /* The reconnect notice stays in sight when the bar is hidden or its menu closed. */
        .conn-bar {
          display: block;
          position: fixed;
          z-index: 30;
          top: 0;
          left: 0;
          right: 0;
          text-align: center;
          pointer-events: none;
        }
        .conn-bar .conn {
          display: inline-block;
          background: #1d2230;
          border-radius: 0 0 6px 6px;
          padding: 2px 10px;
        }
        .back {
          display: inline-flex;
          align-items: center;
          gap: 4px;
          flex: none;
          padding: 0 10px 0 6px;
          border-color: transparent;
          background: transparent;
          color: var(--accent);
          font-weight: 500;
        }
        .back span[aria-hidden] {
          font-size: 22px;
          line-height: 1;
        }
        .page {
          padding: 12px;
        }
      }
    `,
  ];
}

customElements.define('servus-console', ServusConsole);

declare global {
  interface HTMLElementTagNameMap {
    'servus-console': ServusConsole;
  }
}
