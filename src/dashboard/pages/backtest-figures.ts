// How the backtest pages write a mode's figures, shared by the list and the page of one backtest.
import {
  BACKTEST_MODE_ORDER,
  type BacktestEntry,
  type BacktestReport,
  type ModeSummary,
} from '../../core/backtest';
import type { PipelineMode } from '../../core/types';
import { formatCount, formatPercent, formatUsd, UNKNOWN } from '../format';

/** The hit rate with its hits and scored calls (`80.0% (4 of 5)`), or why there is none. */
export function hitRateText(summary: ModeSummary): string {
  if (summary.hitRate === undefined) return 'not scored';
  return `${formatPercent(summary.hitRate)} (${summary.hits} of ${summary.scored})`;
}

/** The 95% Wilson interval of the hit rate (`37.6%–96.4%`), or {@link UNKNOWN}. */
export function intervalText(summary: ModeSummary): string {
  if (!summary.interval) return UNKNOWN;
  return `${formatPercent(summary.interval.low)}–${formatPercent(summary.interval.high)}`;
}

function unknownCosts(entries: readonly BacktestEntry[]): { ran: number; unknown: number } {
  const ran = entries.filter((entry) => entry.status !== 'skipped');
  return { ran: ran.length, unknown: ran.filter((entry) => entry.costUsd === undefined).length };
}

/**
 * What the runs cost: the known costs' sum, saying how many runs' costs are unknown, and unknown when no run's
 * is known (a price table without the model), never $0.
 */
export function costText(costUsd: number, entries: readonly BacktestEntry[]): string {
  const { ran, unknown } = unknownCosts(entries);
  if (ran > 0 && unknown === ran) return 'unknown';
  if (unknown === 0) return formatUsd(costUsd);
  return `${formatUsd(costUsd)} (cost of ${unknown} ${unknown === 1 ? 'run' : 'runs'} unknown)`;
}

/** Runs of a mode by how they ended (`7 completed, 1 failed`). */
export function runsText(summary: ModeSummary): string {
  const cancelled = summary.dates - summary.completed - summary.failed - summary.skipped;
  return [
    `${summary.completed} completed`,
    summary.failed > 0 ? `${summary.failed} failed` : '',
    summary.skipped > 0 ? `${summary.skipped} skipped` : '',
    cancelled > 0 ? `${cancelled} cancelled` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** How often both modes decided the same (`7 of 7 (100.0%)`); {@link UNKNOWN} when only one mode ran. */
export function agreementText(report: BacktestReport): string {
  const agreement = report.summary.agreement;
  if (!agreement) return UNKNOWN;
  if (agreement.compared === 0) return 'no date decided in both modes';
  return `${agreement.same} of ${agreement.compared} (${formatPercent(agreement.rate)})`;
}

/** One mode of a backtest: its summary and its runs. */
export interface ModeOfBacktest {
  mode: PipelineMode;
  summary: ModeSummary;
  entries: BacktestEntry[];
}

/** The modes of a report, in the report's order (the reference first). */
export function modesOf(report: BacktestReport): ModeOfBacktest[] {
  const modes: ModeOfBacktest[] = [];
  for (const mode of BACKTEST_MODE_ORDER) {
    const summary = report.summary.modes[mode];
    if (summary)
      modes.push({ mode, summary, entries: report.entries.filter((entry) => entry.mode === mode) });
  }
  return modes;
}

/** All tokens of a backtest, and what they cost, over its modes. */
export function reportTotals(report: BacktestReport): { tokens: string; cost: string } {
  const modes = modesOf(report);
  return {
    tokens: formatCount(modes.reduce((sum, mode) => sum + mode.summary.totalTokens, 0)),
    cost: costText(
      modes.reduce((sum, mode) => sum + mode.summary.costUsd, 0),
      report.entries,
    ),
  };
}
