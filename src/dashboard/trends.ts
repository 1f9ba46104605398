// Cost and tokens over time and the reduction against the baseline runs, from the ledger's per-day totals.
// Pure: the trends page renders it.
import type { PipelineMode } from '../core/types';
import type { DailyRunTotals } from '../storage/usage-store';
import { PIPELINE_MODES } from './query-parameters';

/** The days a trend covers: `days` UTC days ending today, and the bounds to ask the ledger for. */
export interface TrendWindow {
  days: string[];
  /** First day, inclusive. */
  since: string;
  /** The day after the last, exclusive. */
  until: string;
}

/** Per-day series, one value per day of the window for each mode (0 on a day without runs of that mode). */
export interface DailySeries {
  days: string[];
  runs: Record<PipelineMode, number[]>;
  totalTokens: Record<PipelineMode, number[]>;
  costUsd: Record<PipelineMode, number[]>;
}

/** One mode's runs over a window. */
export interface ModeTotals {
  runs: number;
  totalTokens: number;
  costUsd: number;
  tokensPerRun: number;
  costPerRun: number;
}

/** Optimized runs against baseline runs: what an optimized run spends less, on average, as fractions. */
export interface BaselineComparison {
  optimized?: ModeTotals;
  baseline?: ModeTotals;
  /** 1 - optimized tokens per run / baseline tokens per run; undefined unless both modes ran. */
  tokenReduction?: number;
  /** The same for cost; undefined unless both modes ran and the baseline cost something. */
  costReduction?: number;
}

const MILLISECONDS_PER_DAY = 86_400_000;

function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The `days` UTC days up to and including the day of `now`. */
export function trendWindow(now: Date, days: number): TrendWindow {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const list = Array.from({ length: days }, (_, index) =>
    utcDay(today - (days - 1 - index) * MILLISECONDS_PER_DAY),
  );
  return { days: list, since: list[0] ?? utcDay(today), until: utcDay(today + MILLISECONDS_PER_DAY) };
}

function zeros(length: number): Record<PipelineMode, number[]> {
  return Object.fromEntries(
    PIPELINE_MODES.map((mode) => [mode, new Array<number>(length).fill(0)]),
  ) as Record<PipelineMode, number[]>;
}

/** Spreads the ledger's rows over the window's days; rows outside the window are left out. */
export function dailySeries(rows: readonly DailyRunTotals[], days: readonly string[]): DailySeries {
  const position = new Map(days.map((day, index) => [day, index]));
  const series: DailySeries = {
    days: [...days],
    runs: zeros(days.length),
    totalTokens: zeros(days.length),
    costUsd: zeros(days.length),
  };
  for (const row of rows) {
    const index = position.get(row.day);
    if (index === undefined || !(PIPELINE_MODES as readonly string[]).includes(row.mode)) continue;
    series.runs[row.mode][index] = (series.runs[row.mode][index] ?? 0) + row.runs;
    series.totalTokens[row.mode][index] = (series.totalTokens[row.mode][index] ?? 0) + row.totalTokens;
    series.costUsd[row.mode][index] = (series.costUsd[row.mode][index] ?? 0) + row.costUsd;
  }
  return series;
}

function modeTotals(rows: readonly DailyRunTotals[], mode: PipelineMode): ModeTotals | undefined {
  const ofMode = rows.filter((row) => row.mode === mode);
  const runs = ofMode.reduce((sum, row) => sum + row.runs, 0);
  if (runs === 0) return undefined;
  const totalTokens = ofMode.reduce((sum, row) => sum + row.totalTokens, 0);
  const costUsd = ofMode.reduce((sum, row) => sum + row.costUsd, 0);
  return { runs, totalTokens, costUsd, tokensPerRun: totalTokens / runs, costPerRun: costUsd / runs };
}

/**
 * Average tokens and cost per run of each mode and the reduction of optimized against baseline. Averages per
 * run, not totals: the two modes rarely run equally often.
 */
export function baselineComparison(rows: readonly DailyRunTotals[]): BaselineComparison {
  const comparison: BaselineComparison = {};
  const optimized = modeTotals(rows, 'optimized');
  const baseline = modeTotals(rows, 'baseline');
  if (optimized) comparison.optimized = optimized;
  if (baseline) comparison.baseline = baseline;
  if (optimized && baseline && baseline.tokensPerRun > 0) {
    comparison.tokenReduction = 1 - optimized.tokensPerRun / baseline.tokensPerRun;
  }
  if (optimized && baseline && baseline.costPerRun > 0) {
    comparison.costReduction = 1 - optimized.costPerRun / baseline.costPerRun;
  }
  return comparison;
}
