// REST data for a Lit element: a TanStack QueryObserver that follows the element's lifecycle and
// re-renders it on every result change. Options are read again before each update, so a changed
// key (filter, id) switches the query without extra code in the element. The client may arrive
// after construction (a property set by the parent), so the observer is created on first use.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { QueryObserver, type QueryClient, type QueryKey, type QueryObserverOptions, type QueryObserverResult } from '@tanstack/query-core';

type Options<T> = QueryObserverOptions<T, Error, T, T, QueryKey>;

const IDLE = { data: undefined, error: null, isPending: true, isFetching: false, isError: false, isSuccess: false } as unknown;

export class QueryController<T> implements ReactiveController {
  result: QueryObserverResult<T, Error> = IDLE as QueryObserverResult<T, Error>;
  private _observer: QueryObserver<T, Error, T, T, QueryKey> | null = null;
  private _unsubscribe: (() => void) | null = null;
  private _connected = false;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _client: () => QueryClient | undefined,
    private readonly _options: () => Options<T>,
  ) {
    _host.addController(this);
  }

  private _sync(): void {
    const client = this._client();
    if (!client) return;
    const options = client.defaultQueryOptions(this._options()) as never;
    if (!this._observer) this._observer = new QueryObserver<T, Error, T, T, QueryKey>(client, options);
    else this._observer.setOptions(options);
    if (this._connected && !this._unsubscribe) {
      this._unsubscribe = this._observer.subscribe((result) => {
        this.result = result;
        this._host.requestUpdate();
      });
    }
    this.result = this._observer.getCurrentResult();
  }

  hostConnected(): void {
    this._connected = true;
    this._sync();
  }

  hostUpdate(): void {
    this._sync();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._unsubscribe?.();
    this._unsubscribe = null;
  }

  get data(): T | undefined {
    return this.result.data;
  }

  refetch(): Promise<unknown> {
    return this._observer?.refetch() ?? Promise.resolve();
  }
}
