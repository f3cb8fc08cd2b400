// REST data for the dashboard: a TanStack QueryObserver that follows the element's lifecycle and
// re-renders it when the result changes. The key is read before every update, so a new filter
// switches the query by itself; going back to an earlier filter shows its cached figures at once.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { QueryClient, QueryObserver, keepPreviousData, type QueryKey, type QueryObserverResult } from '@tanstack/query-core';

/** The dashboard's own cache: figures stay fresh for a minute, unused periods are dropped after five. */
const client = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000, gcTime: 300_000, retry: 1 } } });

export interface DashboardQueryOptions<T> {
  key: () => QueryKey;
  fetch: (signal: AbortSignal) => Promise<T>;
  /** Keep showing the previous key's data while a new key loads (no flash of "loading" on a filter change). */
  keepPrevious?: boolean;
}

export class DashboardQueryController<T> implements ReactiveController {
  result: QueryObserverResult<T, Error> | null = null;
  private _observer: QueryObserver<T, Error, T, T, QueryKey> | null = null;
  private _unsubscribe: (() => void) | null = null;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _options: DashboardQueryOptions<T>,
  ) {
    _host.addController(this);
  }

  private _sync(): void {
    const options = {
      queryKey: this._options.key(),
      queryFn: ({ signal }: { signal: AbortSignal }) => this._options.fetch(signal),
      ...(this._options.keepPrevious ? { placeholderData: keepPreviousData } : {}),
    };
    if (!this._observer) this._observer = new QueryObserver<T, Error, T, T, QueryKey>(client, options);
    else this._observer.setOptions(options);
    if (!this._unsubscribe) {
      this._unsubscribe = this._observer.subscribe((result) => {
        this.result = result;
        this._host.requestUpdate();
      });
    }
    this.result = this._observer.getCurrentResult();
  }

  hostConnected(): void {
    this._sync();
  }

  hostUpdate(): void {
    this._sync();
  }

  hostDisconnected(): void {
    this._unsubscribe?.();
    this._unsubscribe = null;
  }

  refetch(): void {
    void this._observer?.refetch();
  }
}
