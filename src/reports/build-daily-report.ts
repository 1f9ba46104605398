// The daily report of one UTC day: read from the ledger once, rendered as a chat-sized summary, markdown and a
// standalone HTML page. The daily report workflow's activity stores what this returns; `tokenflow report` prints it.
import type { AppConfig } from '../config/schema';
import { ledgerDayAlerts, type AlertThresholds } from '../core/alerts';
import type { UsageStore } from '../storage/usage-store';
import { expensiveRunsOf, type DailyReportData } from './daily-report-data';
import { mergeAlerts } from './report-alerts';
import { dailyHtml } from './render-html';
import { dailyMarkdown } from './render-markdown';
import { dailySummary } from './render-summary';

export type { DailyReportData } from './daily-report-data';
export type { ReportAlert, ReportAlertStatus } from './report-alerts';
export { inlineChartLibrary } from './inline-chart-library';

/** How many of a day's recorded alerts the report reads; a day with more has bigger problems than its report. */
const DAY_ALERTS_READ = 1000;

/** Options of {@link buildDailyReport}. */
export interface DailyReportOptions {
  thresholds: AlertThresholds;
  /** When the report is made (ISO timestamp); the renderings contain no other time of their own. */
  generatedAt: string;
  /** `temporal.uiUrl`: the most expensive runs link into it when given. */
  temporalUiUrl?: string;
  /** `temporal.namespace`; `default` when not given. */
  namespace?: string;
}

/** A rendered daily report and the figures a caller logs or checks without parsing it. */
export interface RenderedDailyReport {
  day: string;
  /** One plain-text paragraph for a chat message. */
  summary: string;
  markdown: string;
  /** A standalone page that loads Chart.js from `/assets/chart.umd.min.js` (see `inlineChartLibrary`). */
  html: string;
  totals: {
    runs: number;
    finishedRuns: number;
    calls: number;
    totalTokens: number;
    costUsd: number;
    alerts: number;
  };
}

/** The alert thresholds of a configuration: `alerts`, and `tokens.wordLimitCompliance` as the compliance target. */
export function alertThresholdsOf(config: AppConfig): AlertThresholds {
  return {
    budgetUsedFraction: config.alerts.budgetUsedFraction,
    agentAllocationFraction: config.alerts.agentAllocationFraction,
    dailyCostUsd: config.alerts.dailyCostUsd,
    complianceTarget: config.tokens.wordLimitCompliance,
    predictionErrorFraction: config.alerts.predictionErrorFraction,
    minimumCalls: config.alerts.minimumCalls,
  };
}

/**
 * What the report of `day` shows: the day's usage, its most expensive finished runs, and its alerts (the recorded
 * ones merged by key with those the rules give on the ledger now; a run's per-agent lines are not in the ledger,
 * so the over-allocation alerts are only those recorded as the runs ended).
 */
export async function collectDailyReport(
  store: Pick<UsageStore, 'dailyReport' | 'runsFinishedOn' | 'listAlerts'>,
  day: string,
  options: DailyReportOptions,
): Promise<DailyReportData> {
  const [usage, runs, recorded] = await Promise.all([
    store.dailyReport(day),
    store.runsFinishedOn(day),
    store.listAlerts({ day, limit: DAY_ALERTS_READ }),
  ]);
  const evaluated = ledgerDayAlerts(usage, runs, options.thresholds);
  const ui =
    options.temporalUiUrl === undefined
      ? undefined
      : { url: options.temporalUiUrl, namespace: options.namespace ?? 'default' };
  return {
    day,
    generatedAt: options.generatedAt,
    usage,
    complianceTarget: options.thresholds.complianceTarget,
    expensiveRuns: expensiveRunsOf(runs, ui),
    alerts: mergeAlerts(recorded, evaluated),
  };
}

/** The renderings of collected report data. */
export function renderDailyReport(data: DailyReportData): RenderedDailyReport {
  const usage = data.usage;
  return {
    day: data.day,
    summary: dailySummary(data),
    markdown: dailyMarkdown(data),
    html: dailyHtml(data),
    totals: {
      runs: usage.runs,
      finishedRuns: usage.finishedRuns,
      calls: usage.calls,
      totalTokens: usage.totalTokens,
      costUsd: usage.costUsd,
      alerts: data.alerts.length,
    },
  };
}

/** Reads the ledger for `day` (UTC, `YYYY-MM-DD`) and renders its report. */
export async function buildDailyReport(
  store: UsageStore,
  day: string,
  options: DailyReportOptions,
): Promise<RenderedDailyReport> {
  return renderDailyReport(await collectDailyReport(store, day, options));
}
