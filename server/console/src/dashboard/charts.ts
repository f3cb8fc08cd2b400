// The dashboard's charts as data: uPlot options, aligned data and an accessible table per chart,
// computed from one loaded period. Pure functions, so the figures drawn are the REST figures.
import uPlot from 'uplot';
import type { ChartOptions, ChartTable } from './chart.js';
import type { Histogram, MetricsGroup, Period, Summary } from './data.js';
import { daysOf } from './data.js';
import { bucketLabel, formatDay, formatDuration, formatNumber, formatShortDuration } from '../format.js';
import type { DashboardKey, Lang, Translate } from '../i18n.js';

export interface ChartSpec {
  options: ChartOptions;
  data: uPlot.AlignedData;
  table: ChartTable;
}

export const COLORS = { accent: '#3b5bdb', amber: '#e67700', green: '#2b8a3e', teal: '#0c8599', red: '#c92a2a', grey: '#868e96' };

const AXIS = {
  stroke: '#656d76',
  grid: { stroke: '#eef0f3', width: 1 },
  ticks: { stroke: '#e4e7eb', width: 1 },
  font: '11px system-ui, sans-serif',
};
const bars = () => uPlot.paths.bars!({ size: [0.7, 56], radius: 0.15 });
const fill = (hex: string) => `${hex}cc`;

/** Whole-number counts on the y axis (no 0.5 conversations). */
const countAxis = { ...AXIS, values: (_u: uPlot, splits: number[]) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) };

/** Categories on the x axis at 0, 1, 2, … with their labels. */
function categoryAxis(labels: string[]): uPlot.Axis {
  return { ...AXIS, splits: () => labels.map((_, i) => i), values: (_u, splits) => splits.map((i) => labels[i] ?? '') };
}

function categoryBars(
  labels: string[],
  counts: number[],
  seriesLabel: string,
  color: string,
  headLabel: string,
  t: Translate<DashboardKey>,
): ChartSpec {
  return {
    options: {
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [categoryAxis(labels), countAxis],
      series: [
        { label: headLabel },
        { label: seriesLabel, fill: fill(color), stroke: color, width: 0, paths: bars(), points: { show: false } },
      ],
      legend: { show: false },
      cursor: { points: { show: false } },
    },
    data: [labels.map((_, i) => i), counts],
    table: { head: [headLabel, t('count')], rows: labels.map((l, i) => [l, counts[i] ?? 0]) },
  };
}

/** Seconds: chart x values are Unix seconds. */
const HALF_DAY = 43_200;

const groupByKey = (groups: MetricsGroup[]) => new Map(groups.map((g) => [g.key, g.summary]));

/** Conversations (bars), handoffs and resolved (lines) for every day of the period, zeros included. */
export function dailyVolume(period: Period, byDay: MetricsGroup[], t: Translate<DashboardKey>, lang: Lang): ChartSpec {
  const days = daysOf(period);
  const by = groupByKey(byDay);
  const pick = (f: (s: Summary) => number) => days.map((d) => (by.has(d.key) ? f(by.get(d.key)!) : 0));
  const conversations = pick((s) => s.conversations);
  const handoffs = pick((s) => s.handoffs);
  const resolved = pick((s) => s.resolved);
  return {
    options: {
      // Half a day of room on both sides, so the first and last day's bars are whole.
      scales: {
        x: { time: true, range: (_u, min, max) => [min - HALF_DAY, max + HALF_DAY] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [{ ...AXIS, values: (_u, splits) => splits.map((s) => formatDay(dayKeyOf(s), lang)) }, countAxis],
      series: [
        { label: t('date'), value: (_u, v) => (v === null ? '' : formatDay(dayKeyOf(v), lang)) },
        { label: t('conversations'), fill: fill(COLORS.accent), stroke: COLORS.accent, width: 0, paths: bars(), points: { show: false } },
        { label: t('handoffs'), stroke: COLORS.amber, width: 2, points: { size: 4 } },
        // Dashed: when every handoff is resolved the two lines lie on each other.
        { label: t('resolved'), stroke: COLORS.green, width: 2, dash: [6, 4], points: { size: 4 } },
      ],
      legend: { live: false },
    },
    data: [days.map((d) => d.start / 1000), conversations, handoffs, resolved],
    table: {
      head: [t('date'), t('conversations'), t('handoffs'), t('resolved')],
      rows: days.map((d, i) => [d.key, conversations[i]!, handoffs[i]!, resolved[i]!]),
    },
  };
}

/** Median human first response and median wait per day; days without a handoff leave a gap. */
export function dailyTimes(period: Period, byDay: MetricsGroup[], t: Translate<DashboardKey>, lang: Lang): ChartSpec {
  const days = daysOf(period);
  const by = groupByKey(byDay);
  const frt = days.map((d) => by.get(d.key)?.firstHumanResponseSeconds.median ?? null);
  const wait = days.map((d) => by.get(d.key)?.waitSeconds.median ?? null);
  return {
    options: {
      scales: {
        x: { time: true, range: (_u, min, max) => [min - HALF_DAY, max + HALF_DAY] },
        y: { range: (_u, _min, max) => [0, Math.max(60, max * 1.1)] },
      },
      axes: [
        { ...AXIS, values: (_u, splits) => splits.map((s) => formatDay(dayKeyOf(s), lang)) },
        // Ticks at round durations (15 s … 1 h), labelled short so they fit.
        {
          ...AXIS,
          size: 52,
          incrs: [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
          values: (_u, splits) => splits.map(formatShortDuration),
        },
      ],
      series: [
        { label: t('date'), value: (_u, v) => (v === null ? '' : formatDay(dayKeyOf(v), lang)) },
        { label: t('frtHuman'), stroke: COLORS.accent, width: 2, spanGaps: true, points: { size: 5 } },
        { label: t('wait'), stroke: COLORS.teal, width: 2, spanGaps: true, points: { size: 5 } },
      ],
      legend: { live: false },
    },
    data: [days.map((d) => d.start / 1000), frt, wait],
    table: {
      head: [t('date'), t('frtHuman'), t('wait')],
      rows: days.map((d, i) => [d.key, formatDuration(frt[i], lang), formatDuration(wait[i], lang)]),
    },
  };
}

/** Conversations by local hour of day, 0–23. */
export function hourly(byHour: MetricsGroup[], t: Translate<DashboardKey>): ChartSpec {
  const by = groupByKey(byHour);
  const labels = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  const counts = labels.map((h) => by.get(h)?.conversations ?? 0);
  const spec = categoryBars(labels, counts, t('conversations'), COLORS.accent, t('hour'), t);
  // Every third hour is labelled; 24 labels do not fit a narrow column.
  spec.options.axes = [{ ...categoryAxis(labels), splits: () => labels.map((_, i) => i).filter((i) => i % 3 === 0) }, countAxis];
  return spec;
}

export function histogram(h: Histogram, seriesLabel: string, color: string, t: Translate<DashboardKey>): ChartSpec {
  return categoryBars(
    h.counts.map((_, i) => bucketLabel(h.bounds, i)),
    h.counts,
    seriesLabel,
    color,
    t('bucket'),
    t,
  );
}

export function csatBars(counts: number[], t: Translate<DashboardKey>, lang: Lang): ChartSpec {
  return categoryBars(
    counts.map((_, i) => formatNumber(i + 1, lang)),
    counts,
    t('csat'),
    COLORS.green,
    t('csat'),
    t,
  );
}

/** The local day of a chart timestamp (seconds), as YYYY-MM-DD. */
function dayKeyOf(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
