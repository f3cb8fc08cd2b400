// Integrations (admins): API tokens (create with scopes, the secret shown once, revoke) and each
// site's webhooks (subscribe a URL to events, the signing secret shown once, enable/disable, the test
// button, the delivery log). Everything here is text: URLs and answers are never rendered as HTML.
import { LitElement, css, html, nothing } from 'lit';
import type {
  ApiScope,
  ApiTokenCreatedResponse,
  ApiTokenListResponse,
  WebhookDeliveryView,
  WebhookEvent,
  WebhookView,
} from '@servus/shared';
import type { ConsoleContext } from '../context.js';
import { QueryController } from '../controllers/query-controller.js';
import { api } from '../api.js';
import { clearFieldErrors, reportFormError, type FieldMap } from '../field-errors.js';
import { base, cardPage, tables } from '../styles.js';

const SCOPES: ApiScope[] = ['conversations:read', 'conversations:write', 'messages:write', 'faq:manage', 'sites:manage', 'metrics:read'];
const EVENTS: WebhookEvent[] = [
  'conversation.created',
  'conversation.handoff_requested',
  'conversation.assigned',
  'conversation.resolved',
  'conversation.rated',
  'message.created.visitor',
  'message.created.agent',
  'message.created.bot',
  'offline_ticket.created',
];

/** Where the API's paths are in the token and webhook forms (field-errors.ts). */
const TOKEN_FIELDS: FieldMap = { name: 'name', scopes: 'scope' };
const WEBHOOK_FIELDS: FieldMap = { url: 'url', events: 'event' };

const when = (ms: number | null) => (ms ? new Date(ms).toLocaleString() : '');

export class ServusIntegrations extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    _site: { state: true },
    _secret: { state: true },
    _err: { state: true },
    _test: { state: true },
    _log: { state: true },
  };
  declare ctx: ConsoleContext;
  declare _site: string;
  /** A secret just created (token or webhook), shown once. */
  declare _secret: { kind: 'token' | 'webhook'; value: string } | null;
  declare _err: string;
  declare _test: Record<string, string>;
  /** The webhook whose delivery log is open. */
  declare _log: string | null;

  private _tokens = new QueryController<ApiTokenListResponse>(
    this,
    () => (this.ctx?.me.role === 'admin' ? this.ctx.qc : undefined),
    () => ({ queryKey: ['tokens'], queryFn: ({ signal }) => api<ApiTokenListResponse>('/api/tokens', { signal }) }),
  );
  private _hooks = new QueryController<{ webhooks: WebhookView[] }>(
    this,
    () => (this.ctx?.me.role === 'admin' ? this.ctx.qc : undefined),
    () => ({
      queryKey: ['webhooks', this._siteKey()],
      queryFn: ({ signal }) => api<{ webhooks: WebhookView[] }>(`/api/sites/${encodeURIComponent(this._siteKey())}/webhooks`, { signal }),
    }),
  );
  private _deliveries = new QueryController<{ deliveries: WebhookDeliveryView[] }>(
    this,
    () => this.ctx?.qc,
    () => ({
      enabled: this._log !== null,
      queryKey: ['deliveries', this._log],
      queryFn: ({ signal }) =>
        api<{ deliveries: WebhookDeliveryView[] }>(
          `/api/sites/${encodeURIComponent(this._siteKey())}/webhooks/${encodeURIComponent(this._log ?? '')}/deliveries`,
          { signal },
        ),
      refetchInterval: 5000,
    }),
  );

  constructor() {
    super();
    this._site = '';
    this._secret = null;
    this._err = '';
    this._test = {};
    this._log = null;
  }

  private _siteKey(): string {
    return this._site || this.ctx?.me.siteKeys[0] || '';
  }

  /** Runs a change; a refused field's problem is shown at it when `form` is given with its `fields`. */
  private async _run(
    fn: () => Promise<unknown>,
    keys: unknown[][],
    form: HTMLFormElement | null = null,
    fields: FieldMap = {},
  ): Promise<void> {
    this._err = '';
    if (form) clearFieldErrors(form);
    try {
      await fn();
      for (const k of keys) void this.ctx.qc.invalidateQueries({ queryKey: k });
    } catch (err) {
      this._err = reportFormError(form, err, fields, this.ctx.t);
    }
  }

  private _checked(form: HTMLFormElement, name: string): string[] {
    return new FormData(form).getAll(name).map(String);
  }

  private _createToken = (e: SubmitEvent) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    void this._run(
      async () => {
        const created = await api<ApiTokenCreatedResponse>('/api/tokens', {
          method: 'POST',
          body: { name: String(new FormData(f).get('name') ?? ''), scopes: this._checked(f, 'scope') },
        });
        this._secret = { kind: 'token', value: created.secret };
        f.reset();
      },
      [['tokens']],
      f,
      TOKEN_FIELDS,
    );
  };

  private _createHook = (e: SubmitEvent) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    void this._run(
      async () => {
        const created = await api<{ secret: string }>(`/api/sites/${encodeURIComponent(this._siteKey())}/webhooks`, {
          method: 'POST',
          body: { url: String(new FormData(f).get('url') ?? ''), events: this._checked(f, 'event') },
        });
        this._secret = { kind: 'webhook', value: created.secret };
        f.reset();
      },
      [['webhooks']],
      f,
      WEBHOOK_FIELDS,
    );
  };

  private async _sendTest(hook: WebhookView): Promise<void> {
    const { t } = this.ctx;
    try {
      const r = await api<{ ok: boolean; status: number | null; error: string | null }>(
        `/api/sites/${encodeURIComponent(hook.siteKey)}/webhooks/${encodeURIComponent(hook.id)}/test`,
        { method: 'POST', body: {} },
      );
      const text = r.ok
        ? t('int_testOk').replace('{status}', String(r.status))
        : t('int_testFailed').replace('{error}', r.error ?? String(r.status));
      this._test = { ...this._test, [hook.id]: text };
    } catch (err) {
      this._test = { ...this._test, [hook.id]: t('int_testFailed').replace('{error}', (err as Error).message) };
    }
  }

  override render() {
    if (!this.ctx) return nothing;
    const { t, me } = this.ctx;
    if (me.role !== 'admin') return html`<div class="page"><p class="muted">${t('int_adminsOnly')}</p></div>`;
    const hookPath = (h: WebhookView) => `/api/sites/${encodeURIComponent(h.siteKey)}/webhooks/${encodeURIComponent(h.id)}`;
    return html`<div class="page">
      ${this._err ? html`<p class="error" role="alert">${this._err}</p>` : nothing}
      ${
        this._secret
          ? html`<p class="secret" data-secret=${this._secret.kind}>
              ${t('int_secretOnce')} <code>${this._secret.value}</code>
              <button class="ghost small" @click=${() => (this._secret = null)}>OK</button>
            </p>`
          : nothing
      }
      <section data-section="tokens">
        <h2>${t('int_tokens')}</h2>
        <p class="muted small">${t('int_tokensHelp')}</p>
        <table>
          <thead>
            <tr>
              <th>${t('name')}</th>
              <th>${t('int_scopes')}</th>
              <th>${t('int_lastUsed')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${(this._tokens.data?.tokens ?? []).map(
              (tok) =>
                html`<tr data-token=${tok.name} class=${tok.revokedAt ? 'revoked' : ''}>
                  <td>${tok.name} <code class="muted">${tok.prefix}…</code></td>
                  <td class="small">${tok.scopes.join(', ')}</td>
                  <td class="small">${tok.revokedAt ? t('int_revoked') : tok.lastUsedAt ? when(tok.lastUsedAt) : t('int_never')}</td>
                  <td>
                    ${
                      tok.revokedAt
                        ? nothing
                        : html`<button
                            class="ghost small"
                            data-revoke
                            @click=${() =>
                              confirm(t('int_confirmRevoke')) &&
                              this._run(() => api(`/api/tokens/${encodeURIComponent(tok.id)}`, { method: 'DELETE' }), [['tokens']])}
                          >
                            ${t('int_revoke')}
                          </button>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        <form class="grid" data-form="token" @submit=${this._createToken}>
          <input name="name" placeholder=${t('int_tokenName')} required maxlength="200" />
          <div class="checks">
            ${SCOPES.map((s) => html`<label class="check"><input type="checkbox" name="scope" value=${s} />${s}</label>`)}
          </div>
          <button type="submit">${t('int_create')}</button>
        </form>
      </section>

      <section data-section="webhooks">
        <h2>${t('int_webhooks')}</h2>
        <p class="muted small">${t('int_webhooksHelp')}</p>
        ${
          me.siteKeys.length > 1
            ? html`<label
                >${t('int_site')}
                <select
                  data-site
                  .value=${this._siteKey()}
                  @change=${(e: Event) => {
                    this._site = (e.target as HTMLSelectElement).value;
                    this._log = null;
                  }}
                >
                  ${me.siteKeys.map((k) => html`<option value=${k}>${k}</option>`)}
                </select></label
              >`
            : nothing
        }
        ${(this._hooks.data?.webhooks ?? []).map(
          (h) =>
            html`<div class="hook" data-webhook=${h.url}>
              <div class="row">
                <code class="url">${h.url}</code>
                <span class=${h.enabled ? 'ok small' : 'error small'} data-state>
                  ${h.enabled ? t('int_enabled') : t('int_disabled')}${h.disabledReason ? ` (${h.disabledReason})` : ''}
                </span>
              </div>
              <div class="small muted">${h.events.join(', ')}</div>
              ${h.consecutiveFailures ? html`<div class="small error">${t('int_failures').replace('{n}', String(h.consecutiveFailures))}</div>` : nothing}
              <div class="row">
                <button class="small" data-test @click=${() => this._sendTest(h)}>${t('int_test')}</button>
                <button
                  class="ghost small"
                  data-toggle
                  @click=${() => this._run(() => api(hookPath(h), { method: 'PATCH', body: { enabled: !h.enabled } }), [['webhooks']])}
                >
                  ${h.enabled ? t('int_disable') : t('int_enable')}
                </button>
                <button class="ghost small" data-log @click=${() => (this._log = this._log === h.id ? null : h.id)}>
                  ${t('int_deliveries')}
                </button>
                <button
                  class="ghost small"
                  data-delete
                  @click=${() => confirm(t('int_confirmDelete')) && this._run(() => api(hookPath(h), { method: 'DELETE' }), [['webhooks']])}
                >
                  ${t('int_delete')}
                </button>
                ${this._test[h.id] ? html`<span class="small" data-test-result>${this._test[h.id]}</span>` : nothing}
              </div>
              ${this._log === h.id ? this._renderLog() : nothing}
            </div>`,
        )}
        <form class="grid" data-form="webhook" @submit=${this._createHook}>
          <input
            name="url"
            type="url"
            placeholder="https://example.com/servus-webhook"
            required
            maxlength="2048"
            aria-label=${t('int_url')}
          />
          <div class="checks">
            ${EVENTS.map((ev) => html`<label class="check"><input type="checkbox" name="event" value=${ev} />${ev}</label>`)}
          </div>
          <button type="submit">${t('int_create')}</button>
        </form>
      </section>
    </div>`;
  }

  private _renderLog() {
    const { t } = this.ctx;
    const rows = this._deliveries.data?.deliveries ?? [];
    if (!rows.length) return html`<p class="small muted" data-deliveries>${t('int_noDeliveries')}</p>`;
    return html`<table data-deliveries>
      <thead>
        <tr>
          <th>${t('int_events')}</th>
          <th>Status</th>
          <th>${t('int_attempts')}</th>
          <th>HTTP</th>
          <th>${t('int_response')}</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (d) =>
            html`<tr data-delivery=${d.status}>
              <td class="small">${d.event}</td>
              <td class="small">${d.status}</td>
              <td class="small">${d.attempts}</td>
              <td class="small">${d.lastStatus ?? ''}</td>
              <td class="small clip">${d.lastError ?? d.lastResponse ?? ''}</td>
              <td class="small muted">${when(d.deliveredAt ?? d.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  }

  static override styles = [
    base,
    cardPage,
    tables,
    css`
      .page {
        max-width: 960px;
      }
      tr.revoked td {
        color: var(--faint);
        text-decoration: line-through;
      }
      code {
        font:
          12.5px ui-monospace,
          monospace;
        word-break: break-all;
      }
      .grid {
        display: grid;
        gap: 8px;
      }
      .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 6px 14px;
      }
      .check {
        display: flex;
        gap: 6px;
        align-items: center;
        font-size: 13px;
      }
      .row {
        display: flex;
        gap: 8px;
        align-items: center;
        flex-wrap: wrap;
      }
      .hook {
        border: 1px solid var(--line);
        border-radius: var(--radius);
        padding: 10px 12px;
        display: grid;
        gap: 6px;
      }
      .secret {
        background: #fff9db;
        border: 1px solid #ffe066;
        border-radius: var(--radius);
        padding: 10px 12px;
      }
      .clip {
        max-width: 260px;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .ok {
        color: var(--ok);
      }
    `,
  ];
}
customElements.define('servus-integrations', ServusIntegrations);
declare global {
  interface HTMLElementTagNameMap {
    'servus-integrations': ServusIntegrations;
  }
}
