// `<servus-dashboard>`: the service-standards page (issue 6). Filters (period, site) choose what
// `GET /api/metrics` is asked for; KPI cards, charts and tables show exactly its answer. In the
// console it shares the console's query client (`client`); on a page of its own it makes one.
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { QueryClient, keepPreviousData } from '@tanstack/query-core';
import { ApiError } from '../api.js';
import { QueryController } from '../controllers/query-controller.js';
import { DocumentLangController } from '../controllers/lang-controller.js';
import { dashboardTranslator, reasonLabel, type DashboardKey, type Lang, type Translate as TranslateAny } from '../i18n.js';
import {
  PRESETS,
  customPeriod,
  loadDashboard,
  loadSiteKeys,
  metricsUrl,
  presetPeriod,
  type DashboardData,
  type MetricsGroup,
  type MetricsParams,
  type Period,
  type Preset,
  type Summary,
} from './data.js';
import { COLORS, csatBars, dailyTimes, dailyVolume, histogram, hourly, type ChartSpec } from './charts.js';
import { DASH, formatDuration, formatNps, formatNumber, formatPercent } from '../format.js';
import './chart.js';

export const DASHBOARD_TAG = 'servus-dashboard';

type Translate = TranslateAny<DashboardKey>;

/** Figures stay fresh for a minute; a period not looked at for five minutes is dropped. */
const FRESH = { staleTime: 60_000, gcTime: 300_000 } as const;
let standaloneClient: QueryClient | null = null;

interface Kpi {
  id: string;
  label: string;
  /** The REST figure this card shows (data-value, so a test can compare it with the REST answer). */
  value: number | null;
  display: string;
  sub: string;
}

export class ServusDashboard extends LitElement {
  static override properties = {
    client: { attribute: false },
    _preset: { state: true },
    _customFrom: { state: true },
    _customTo: { state: true },
    _site: { state: true },
  };

  /** The console's query client; without one (the element on a page of its own) it makes its own. */
  declare client: QueryClient | undefined;
  declare _preset: Preset | 'custom';
  declare _customFrom: string;
  declare _customTo: string;
  declare _site: string | null;

  private readonly _lang = new DocumentLangController(this);
  /** Browser time zone: days and hours are the reader's own. */
  private readonly _timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  /** A preset's period is fixed when it is chosen, so the query key does not change every millisecond. */
  private _presetPeriod: Period = presetPeriod(30);

  private readonly _client = () => this.client ?? (standaloneClient ??= new QueryClient({ defaultOptions: { queries: { retry: 1 } } }));

  private readonly _sites = new QueryController<string[]>(this, this._client, () => ({
    queryKey: ['servus-dashboard', 'sites'],
    queryFn: ({ signal }) => loadSiteKeys(signal),
    ...FRESH,
  }));

  private readonly _data = new QueryController<DashboardData | null>(this, this._client, () => {
    const p = this._params();
    return {
      queryKey: ['servus-dashboard', 'metrics', p?.period.from ?? null, p?.period.to ?? null, p?.site ?? null, p?.timeZone ?? null],
      queryFn: ({ signal }) => (p ? loadDashboard(p, signal) : Promise.resolve(null)),
      // Keep showing the previous period's figures while a new one loads (no flash of "loading").
      placeholderData: keepPreviousData,
      ...FRESH,
    };
  });

  constructor() {
    super();
    this._preset = 30;
    this._customFrom = this._presetPeriod.fromDate;
    this._customTo = this._presetPeriod.toDate;
    this._site = null;
  }

  private _period(): Period | null {
    return this._preset === 'custom' ? customPeriod(this._customFrom, this._customTo) : this._presetPeriod;
  }

  private _params(): MetricsParams | null {
    const period = this._period();
    return period ? { period, site: this._site, timeZone: this._timeZone } : null;
  }

  private _choosePreset(preset: Preset | 'custom'): void {
    if (preset !== 'custom') this._presetPeriod = presetPeriod(preset);
    else {
      const current = this._period() ?? this._presetPeriod;
      this._customFrom = current.fromDate;
      this._customTo = current.toDate;
    }
    this._preset = preset;
    // Choosing the same preset again moves its period to now: render even though _preset is unchanged.
    this.requestUpdate();
  }

  protected override updated(): void {
    const r = this._data.result;
    this.dataset.state = r.isPending ? 'loading' : r.isError ? 'error' : r.isFetching ? 'refreshing' : 'ready';
  }

  override render() {
    const lang = this._lang.lang;
    const t = dashboardTranslator(lang);
    const params = this._params();
    const r = this._data.result;
    const data = r.data ?? null;
    return html`
      <header>
        <h1>${t('title')}</h1>
        ${this._filters(t, params)}
      </header>
      ${params ? nothing : html`<p class="note warn" role="alert">${t('from')} ≤ ${t('to')}</p>`}
      ${
        !params
          ? nothing
          : r.isError
            ? html`<div class="state error" role="alert">
                ${t('error')}${r.error instanceof ApiError ? ` (HTTP ${r.error.status})` : ''}
                <button @click=${() => void this._data.refetch()}>${t('retry')}</button>
              </div>`
            : !data
              ? html`<div class="state" aria-busy="true">${t('loading')}</div>`
              : html`<div class="content" aria-busy=${r.isPlaceholderData ? 'true' : 'false'}>${this._content(data, params, t, lang)}</div>`
      }
    `;
  }

  private _filters(t: Translate, params: MetricsParams | null): TemplateResult {
    const sites = this._sites.data ?? [];
    return html`<div class="filters">
      <div class="presets" role="group" aria-label=${t('period')}>
        ${PRESETS.map(
          (p) =>
            html`<button data-preset=${p} aria-pressed=${this._preset === p ? 'true' : 'false'} @click=${() => this._choosePreset(p)}>
              ${t(`days${p}`)}
            </button>`,
        )}
        <button
          data-preset="custom"
          aria-pressed=${this._preset === 'custom' ? 'true' : 'false'}
          @click=${() => this._choosePreset('custom')}
        >
          ${t('custom')}
        </button>
      </div>
      ${
        this._preset === 'custom'
          ? html`<label class="date"
                >${t('from')}
                <input
                  type="date"
                  name="from"
                  .value=${this._customFrom}
                  max=${this._customTo}
                  @change=${(e: Event) => (this._customFrom = (e.target as HTMLInputElement).value)}
              /></label>
              <label class="date"
                >${t('to')}
                <input
                  type="date"
                  name="to"
                  .value=${this._customTo}
                  min=${this._customFrom}
                  @change=${(e: Event) => (this._customTo = (e.target as HTMLInputElement).value)}
              /></label>`
          : nothing
      }
      <label class="site"
        >${t('site')}
        <select name="site" @change=${(e: Event) => (this._site = (e.target as HTMLSelectElement).value || null)}>
          <option value="" ?selected=${this._site === null}>${t('allSites')}</option>
          ${sites.map((s) => html`<option value=${s} ?selected=${this._site === s}>${s}</option>`)}
        </select></label
      >
      ${params ? html`<a class="export" href=${metricsUrl(params, { groupBy: ['day'], format: 'csv' })} download>${t('exportCsv')}</a>` : nothing}
    </div>`;
  }

  private _content(data: DashboardData, params: MetricsParams, t: Translate, lang: Lang): TemplateResult {
    const s = data.summary;
    const d = data.distributions;
    const chart = (id: string, title: string, spec: ChartSpec, wide = false) =>
      html`<figure class="card chart ${wide ? 'wide' : ''}" data-chart=${id}>
        <figcaption>${title}</figcaption>
        <servus-dashboard-chart .options=${spec.options} .data=${spec.data} .table=${spec.table} label=${title}></servus-dashboard-chart>
      </figure>`;
    return html`
      <p class="note">
        ${t('timeZone', { tz: data.timeZone })}${data.truncated ? html` · <strong>${t('truncated')}</strong>` : nothing}
        ${s.conversations === 0 ? html` · ${t('noData')}` : nothing}
      </p>
      <dl class="kpis">
        ${this._kpis(s, t, lang).map(
          (k) =>
            html`<div class="kpi" data-kpi=${k.id} data-value=${k.value === null ? '' : String(k.value)}>
              <dt>${k.label}</dt>
              <dd class="value">${k.display}</dd>
              <dd class="sub">${k.sub}</dd>
            </div>`,
        )}
      </dl>
      <div class="charts">
        ${chart('per-day', t('perDay'), dailyVolume(params.period, data.groupings.day, t, lang), true)}
        ${chart('times-per-day', t('timesPerDay'), dailyTimes(params.period, data.groupings.day, t, lang))}
        ${chart('by-hour', t('byHour'), hourly(data.groupings.hour, t))}
        ${chart('frt-histogram', t('frtHistogram'), histogram(d.firstHumanResponseSeconds, t('frtHuman'), COLORS.accent, t))}
        ${chart('wait-histogram', t('waitHistogram'), histogram(d.waitSeconds, t('wait'), COLORS.teal, t))}
        ${chart('csat', t('csatBars'), csatBars(d.csat, t, lang))} ${this._reasons(s, t, lang)}
      </div>
      ${this._agents(data, t, lang)}
      <div class="pair">
        ${this._breakdown('lang', t('byLanguage'), t('language'), data.groupings.lang, t, lang)}
        ${this._site === null ? this._breakdown('site', t('bySite'), t('site'), data.groupings.site, t, lang) : nothing}
      </div>
      ${this._proactive(data, t, lang)}
    `;
  }

  private _kpis(s: Summary, t: Translate, lang: Lang): Kpi[] {
    const time = (id: string, label: string, st: Summary['waitSeconds']): Kpi => ({
      id,
      label,
      value: st.median,
      display: formatDuration(st.median, lang),
      sub: `${t('median')} · ${t('p90')} ${formatDuration(st.p90, lang)}`,
    });
    const rate = (id: string, label: string, value: number | null, sub: string): Kpi => ({
      id,
      label,
      value,
      display: formatPercent(value, lang),
      sub,
    });
    const sl = s.serviceLevel;
    return [
      {
        id: 'conversations',
        label: t('conversations'),
        value: s.conversations,
        display: formatNumber(s.conversations, lang),
        sub: `${formatNumber(s.handoffs, lang)} ${t('handoffs')}`,
      },
      time('frt-human', t('frtHuman'), s.firstHumanResponseSeconds),
      time('frt-any', t('frtAny'), s.firstResponseSeconds),
      time('wait', t('wait'), s.waitSeconds),
      time('handling', t('handling'), s.handlingSeconds),
      {
        ...rate('sla', t('sla'), sl?.share ?? null, ''),
        sub: sl ? (sl.target !== null ? t('slaTarget', { target: formatDuration(sl.target, lang) }) : t('slaTargets')) : DASH,
      },
      rate('resolution', t('resolution'), s.resolutionRate, `${formatNumber(s.resolved, lang)} ${t('resolved')}`),
      rate('fcr', t('fcr'), s.firstContactResolution, t('ofResolved', { n: formatNumber(s.resolved, lang) })),
      rate('containment', t('containment'), s.botContainment, t('ofEngaged', { n: formatNumber(s.engaged, lang) })),
      rate('handoff-rate', t('handoffRate'), s.handoffRate, t('ofEngaged', { n: formatNumber(s.engaged, lang) })),
      {
        id: 'csat',
        label: t('csat'),
        value: s.csat.average,
        display: formatNumber(s.csat.average, lang, 1),
        sub: `${formatPercent(s.csat.satisfiedShare, lang)} ${t('satisfied')}`,
      },
      {
        id: 'nps',
        label: t('nps'),
        value: s.nps.score,
        display: formatNps(s.nps.score, lang),
        sub: `${formatNumber(s.nps.count, lang)} ${t(s.nps.count === 1 ? 'rating' : 'ratings')}`,
      },
      { id: 'ces', label: t('ces'), value: s.ces.average, display: formatNumber(s.ces.average, lang, 1), sub: t('cesHint') },
    ];
  }

  private _reasons(s: Summary, t: Translate, lang: Lang): TemplateResult {
    const reasons = Object.entries(s.handoffReasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const max = Math.max(1, ...reasons.map(([, n]) => n));
    return html`<figure class="card chart" data-chart="handoff-reasons">
      <figcaption>${t('handoffReasons')}</figcaption>
      ${
        reasons.length
          ? html`<ul class="reasons">
              ${reasons.map(
                ([reason, n]) =>
                  html`<li data-reason=${reason} data-count=${n}>
                    <span class="reason">${reasonLabel(t, reason)}</span>
                    <span class="bar"><span style="width: ${(n / max) * 100}%"></span></span>
                    <span class="n">${formatNumber(n, lang)} · ${formatPercent(s.handoffs ? n / s.handoffs : null, lang)}</span>
                  </li>`,
              )}
            </ul>`
          : html`<p class="empty">${DASH}</p>`
      }
    </figure>`;
  }

  private _agents(data: DashboardData, t: Translate, lang: Lang): TemplateResult {
    const rows = data.groupings.agent.filter((g) => g.key !== 'none').sort((a, b) => b.summary.conversations - a.summary.conversations);
    return html`<section class="card" data-table="agents">
      <h2>${t('agents')}</h2>
      ${
        rows.length
          ? html`<div class="scroll" tabindex="0" role="region" aria-label=${t('agents')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">${t('agent')}</th>
                    <th scope="col" class="num">${t('handled')}</th>
                    <th scope="col" class="num">${t('resolved')}</th>
                    <th scope="col" class="num">${t('frtHuman')}</th>
                    <th scope="col" class="num">${t('handling')}</th>
                    <th scope="col" class="num">${t('csat')}</th>
                    <th scope="col" class="num">${t('sla')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (g) =>
                      html`<tr data-agent=${g.key}>
                        <th scope="row">${g.label ?? g.key}</th>
                        <td class="num" data-field="conversations">${formatNumber(g.summary.conversations, lang)}</td>
                        <td class="num" data-field="resolved">${formatNumber(g.summary.resolved, lang)}</td>
                        <td class="num">${formatDuration(g.summary.firstHumanResponseSeconds.median, lang)}</td>
                        <td class="num">${formatDuration(g.summary.handlingSeconds.median, lang)}</td>
                        <td class="num">${formatNumber(g.summary.csat.average, lang, 1)}</td>
                        <td class="num">${formatPercent(g.summary.serviceLevel?.share ?? null, lang)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p class="empty">${t('noAgents')}</p>`
      }
    </section>`;
  }

  /** A compact table of one grouping (language, site): volume, handoffs, containment, speed, satisfaction. */
  private _breakdown(id: string, title: string, head: string, groups: MetricsGroup[], t: Translate, lang: Lang): TemplateResult {
    const rows = [...groups].sort((a, b) => b.summary.conversations - a.summary.conversations);
    return html`<section class="card" data-table=${id}>
      <h2>${title}</h2>
      ${
        rows.length
          ? html`<div class="scroll" tabindex="0" role="region" aria-label=${title}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">${head}</th>
                    <th scope="col" class="num">${t('conversations')}</th>
                    <th scope="col" class="num">${t('handoffRate')}</th>
                    <th scope="col" class="num">${t('containment')}</th>
                    <th scope="col" class="num">${t('frtHuman')}</th>
                    <th scope="col" class="num">${t('csat')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (g) =>
                      html`<tr data-key=${g.key}>
                        <th scope="row">${g.key === 'none' ? DASH : (g.label ?? g.key)}</th>
                        <td class="num" data-field="conversations">${formatNumber(g.summary.conversations, lang)}</td>
                        <td class="num">${formatPercent(g.summary.handoffRate, lang)}</td>
                        <td class="num">${formatPercent(g.summary.botContainment, lang)}</td>
                        <td class="num">${formatDuration(g.summary.firstHumanResponseSeconds.median, lang)}</td>
                        <td class="num">${formatNumber(g.summary.csat.average, lang, 1)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p class="empty">${DASH}</p>`
      }
    </section>`;
  }

  private _proactive(data: DashboardData, t: Translate, lang: Lang): TemplateResult {
    const rows = data.proactive;
    return html`<section class="card" data-table="proactive">
      <h2>${t('proactive')}</h2>
      ${
        rows.length
          ? html`<div class="scroll" tabindex="0" role="region" aria-label=${t('proactive')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">${t('rule')}</th>
                    <th scope="col">${t('page')}</th>
                    <th scope="col" class="num">${t('shown')}</th>
                    <th scope="col" class="num">${t('opened')}</th>
                    <th scope="col" class="num">${t('openRate')}</th>
                    <th scope="col" class="num">${t('ledTo')}</th>
                    <th scope="col" class="num">${t('conversionRate')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (p) =>
                      html`<tr data-rule=${`${p.siteKey}/${p.ruleId}`}>
                        <th scope="row">${this._site ? p.ruleId : `${p.siteKey} · ${p.ruleId}`}</th>
                        <td><code>${p.urlPattern ?? t('removedRule')}</code></td>
                        <td class="num" data-field="shown">${formatNumber(p.shown, lang)}</td>
                        <td class="num" data-field="opened">${formatNumber(p.opened, lang)}</td>
                        <td class="num">${formatPercent(p.openRate, lang)}</td>
                        <td class="num" data-field="conversations">${formatNumber(p.conversations, lang)}</td>
                        <td class="num">${formatPercent(p.conversationRate, lang)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p class="empty">${t('noProactive')}</p>`
      }
    </section>`;
  }

  static override styles = css`
    :host {
      --accent: #3b5bdb;
      --text: #1f2328;
      --muted: #656d76;
      --line: #e4e7eb;
      --panel: #ffffff;
      --bg: #f6f7f9;
      display: block;
      box-sizing: border-box;
      color: var(--text);
      font:
        14px/1.45 system-ui,
        -apple-system,
        'Segoe UI',
        Roboto,
        sans-serif;
      padding: 16px 20px 32px;
      max-width: 1280px;
    }
    *,
    *::before,
    *::after {
      box-sizing: inherit;
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      justify-content: space-between;
      gap: 12px;
      margin-bottom: 4px;
    }
    h1 {
      font-size: 20px;
      margin: 0;
    }
    h2 {
      font-size: 15px;
      margin: 0 0 10px;
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px 12px;
    }
    .presets {
      display: inline-flex;
      border: 1px solid var(--line);
      border-radius: 8px;
      overflow: hidden;
    }
    button {
      font: inherit;
      cursor: pointer;
      border: 0;
      background: var(--panel);
      color: var(--text);
      padding: 5px 11px;
    }
    .presets button + button {
      border-left: 1px solid var(--line);
    }
    button[aria-pressed='true'] {
      background: var(--accent);
      color: #fff;
    }
    button:focus-visible,
    select:focus-visible,
    input:focus-visible,
    a:focus-visible {
      outline: 2px solid var(--accent);
      outline-offset: 2px;
    }
    label {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      color: var(--muted);
    }
    select,
    input {
      font: inherit;
      color: var(--text);
      border: 1px solid var(--line);
      border-radius: 6px;
      padding: 4px 6px;
      background: var(--panel);
    }
    a.export {
      color: var(--accent);
      text-decoration: none;
      border: 1px solid var(--accent);
      border-radius: 6px;
      padding: 4px 10px;
    }
    a.export:hover {
      background: #edf2ff;
    }
    .note {
      color: var(--muted);
      font-size: 12px;
      margin: 6px 0 12px;
    }
    .warn {
      color: #c92a2a;
    }
    .content[aria-busy='true'] {
      opacity: 0.55;
      transition: opacity 0.2s;
    }
    .state {
      padding: 40px;
      text-align: center;
      color: var(--muted);
    }
    .state.error {
      color: #c92a2a;
    }
    .kpis {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(155px, 1fr));
      gap: 10px;
      margin: 0 0 14px;
    }
    .kpi,
    .card {
      background: var(--panel);
      border: 1px solid var(--line);
      border-radius: 10px;
    }
    .kpi {
      padding: 10px 12px;
      margin: 0;
    }
    .kpi dt {
      color: var(--muted);
      font-size: 12px;
    }
    .kpi dd {
      margin: 0;
    }
    .kpi .value {
      font-size: 22px;
      font-weight: 600;
      font-variant-numeric: tabular-nums;
      margin: 2px 0;
    }
    .kpi .sub {
      color: var(--muted);
      font-size: 12px;
    }
    .charts {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(min(100%, 380px), 1fr));
      gap: 12px;
      margin-bottom: 14px;
    }
    .card {
      padding: 12px 14px;
      margin: 0;
      min-width: 0;
    }
    .chart.wide {
      grid-column: 1 / -1;
    }
    figcaption {
      font-weight: 600;
      margin-bottom: 6px;
    }
    .reasons {
      list-style: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 8px;
    }
    .reasons li {
      display: grid;
      grid-template-columns: minmax(110px, 40%) 1fr auto;
      align-items: center;
      gap: 8px;
    }
    .reasons .bar {
      background: #f1f3f5;
      border-radius: 4px;
      height: 12px;
      overflow: hidden;
    }
    .reasons .bar span {
      display: block;
      height: 100%;
      background: #e67700;
    }
    .reasons .n {
      font-variant-numeric: tabular-nums;
      color: var(--muted);
      font-size: 12px;
    }
    section.card {
      margin-bottom: 14px;
    }
    .pair {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr));
      gap: 0 12px;
    }
    /* A table wider than a phone scrolls sideways inside its card, by keyboard too (it takes the focus). */
    .scroll {
      overflow-x: auto;
    }
    table {
      border-collapse: collapse;
      width: 100%;
    }
    th,
    td {
      text-align: left;
      padding: 6px 8px;
      border-bottom: 1px solid var(--line);
      white-space: nowrap;
    }
    thead th {
      color: var(--muted);
      font-weight: 500;
      font-size: 12px;
      /* Long column names wrap instead of widening narrow tables. */
      white-space: normal;
      vertical-align: bottom;
    }
    tbody th {
      font-weight: 500;
    }
    .num {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
    code {
      font-size: 12px;
      background: #f1f3f5;
      border-radius: 4px;
      padding: 1px 4px;
    }
    .empty {
      color: var(--muted);
      margin: 0;
    }
  `;
}

if (!customElements.get(DASHBOARD_TAG)) customElements.define(DASHBOARD_TAG, ServusDashboard);

declare global {
  interface HTMLElementTagNameMap {
    'servus-dashboard': ServusDashboard;
  }
}
