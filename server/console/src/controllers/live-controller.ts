// Re-renders an element whenever the live store changes (once per batch of frames), and while it
// is connected ticks once a second if asked to (live waiting timers).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LiveStore } from '../live/store.js';

export class LiveController implements ReactiveController {
  private _off: (() => void) | null = null;
  private _attached: LiveStore | undefined;
  private _timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _store: () => LiveStore | undefined,
    private readonly _tickMs = 0,
  ) {
    _host.addController(this);
  }

  hostConnected(): void {
    this._attach();
    if (this._tickMs > 0) this._timer = setInterval(() => this._host.requestUpdate(), this._tickMs);
  }

  /** The store may arrive after connection (a property set later) or be replaced (a new login). */
  hostUpdate(): void {
    if (this._store() !== this._attached) this._attach();
  }

  hostDisconnected(): void {
    this._off?.();
    this._off = null;
    this._attached = undefined;
    if (this._timer) clearInterval(this._timer);
    this._timer = null;
  }

  private _attach(): void {
    this._off?.();
    this._off = null;
    const store = this._store();
    this._attached = store;
    if (!store) return;
    this._off = store.subscribe(() => this._host.requestUpdate());
  }
}
