// REST calls to the server: same-origin JSON with the session cookie; errors keep the server's
// stable code so the UI can react (401 → login) and show a translated message.
import { CommandFailure, type ApiErrorBody, type FieldIssue } from '@servus/shared';
import type { Key } from './i18n.js';
import { CommandError } from './live/socket.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
    /** A refused body's problems, field by field (field-errors.ts shows them at their fields). */
    readonly issues?: FieldIssue[],
  ) {
    super(message);
  }
}

/** Called on any 401, so the shell can show the login again. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? ((await res.json()) as unknown) : await res.text();
  if (!res.ok) {
    const err = (data as Partial<ApiErrorBody> | null)?.error;
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthorized();
    const issues = Array.isArray(err?.issues) ? err.issues : undefined;
    throw new ApiError(res.status, err?.code ?? 'HTTP_' + res.status, err?.message ?? res.statusText, err?.path, issues);
  }
  return data as T;
}

/**
 * The text to show for a failed request or command: the socket's own failures (no answer in time,
 * outbox full, closed) translated, the server's message otherwise (it never carries internal text).
 */
export function errorText(err: unknown, t: (key: Key) => string): string {
  if (err instanceof CommandError && err.code in CommandFailure) return t(`cmd_${err.code as CommandFailure}`);
  return (err instanceof Error && err.message) || t('error');
}
