// An element's language: its own `lang` attribute if set, else the page's (`<html lang>`), which the
// console shell changes when the agent switches language; watched, so no reload is needed (the
// dashboard, which also runs on its own outside the console).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { langOf, type Lang } from '../i18n.js';

export class DocumentLangController implements ReactiveController {
  private _observer: MutationObserver | null = null;

  constructor(private readonly _host: ReactiveControllerHost & HTMLElement) {
    _host.addController(this);
  }

  get lang(): Lang {
    return langOf(this._host.getAttribute('lang') || document.documentElement.lang || navigator.language);
  }

  hostConnected(): void {
    this._observer = new MutationObserver(() => this._host.requestUpdate());
    this._observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    this._observer.observe(this._host, { attributes: true, attributeFilter: ['lang'] });
  }

  hostDisconnected(): void {
    this._observer?.disconnect();
    this._observer = null;
  }
}
