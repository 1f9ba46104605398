import type { PipelineMode } from '../types';
import { decisionHit, wilsonInterval } from './scoring';

/** How one run of a backtest ended; `skipped` means it never started because the batch budget had too little left. */
export type BacktestStatus = 'completed' | 'failed' | 'skipped' | 'cancelled';

/** One run of a backtest: a date in one mode. */
export interface BacktestEntry {
  date: string;
  mode: PipelineMode;
  workflowId: string;
  status: BacktestStatus;
  /** BUY, HOLD or SELL; undefined when the run ended without one. */
  decision?: string;
  /** The price's return over the period after the date, when the data has it. */
  forwardReturn?: number;
  /** Everything the run spent (0 for a skipped run). */
  totalTokens: number;
  /** Undefined when the model's price is unknown. */
  costUsd?: number;
  /** Why the run failed, was skipped or ended without a decision. */
  reason?: string;
}

export interface ModeSummary {
  /** Runs of this mode: one per date. */
  dates: number;
  completed: number;
  failed: number;
  skipped: number;
  /** How many runs decided each action, e.g. `{ BUY: 5, HOLD: 2 }`. */
  decisions: Record<string, number>;
  /** Runs with a BUY or SELL and a known forward return (see `decisionHit`). */
  scored: number;
  hits: number;
  /** hits / scored; undefined when nothing was scored. */
  hitRate?: number;
  /** 95% Wilson interval of the hit rate. */
  interval?: { low: number; high: number };
  totalTokens: number;
  /** Cost of the runs whose cost is known. */
  costUsd: number;
  /** Tokens of the completed runs over their number; undefined when none completed. */
  tokensPerCompletedRun?: number;
}

export interface BacktestSummary {
  modes: Partial<Record<PipelineMode, ModeSummary>>;
  /** With both modes: over the dates where both decided, how often they decided the same. */
  agreement?: { compared: number; same: number; rate?: number };
}

/** Order of the modes in summaries and reports: the reference first. */
export const BACKTEST_MODE_ORDER = ['baseline', 'optimized'] as const satisfies readonly PipelineMode[];

function summarizeMode(entries: readonly BacktestEntry[]): ModeSummary {
  const summary: ModeSummary = {
    dates: entries.length,
    completed: 0,
    failed: 0,
    skipped: 0,
    decisions: {},
    scored: 0,
    hits: 0,
    totalTokens: 0,
    costUsd: 0,
  };
  let completedTokens = 0;
  for (const entry of entries) {
    if (entry.status === 'completed') {
      summary.completed += 1;
      completedTokens += entry.totalTokens;
    } else if (entry.status === 'failed') {
      summary.failed += 1;
    } else if (entry.status === 'skipped') {
      summary.skipped += 1;
    }
    if (entry.decision !== undefined) {
      summary.decisions[entry.decision] = (summary.decisions[entry.decision] ?? 0) + 1;
    }
    const hit = decisionHit(entry.decision, entry.forwardReturn);
    if (hit !== undefined) {
      summary.scored += 1;
      if (hit) summary.hits += 1;
    }
    summary.totalTokens += entry.totalTokens;
    summary.costUsd += entry.costUsd ?? 0;
  }
  if (summary.scored > 0) {
    summary.hitRate = summary.hits / summary.scored;
    summary.interval = wilsonInterval(summary.hits, summary.scored);
  }
  if (summary.completed > 0) summary.tokensPerCompletedRun = completedTokens / summary.completed;
  return summary;
}

/**
 * Per mode: runs by status, decisions, hit rate with its 95% interval, tokens and cost. With entries of both
 * modes, also how often they agree, over the dates where both decided.
 */
export function summarizeBacktest(entries: readonly BacktestEntry[]): BacktestSummary {
  const summary: BacktestSummary = { modes: {} };
  for (const mode of BACKTEST_MODE_ORDER) {
    const ofMode = entries.filter((entry) => entry.mode === mode);
    if (ofMode.length > 0) summary.modes[mode] = summarizeMode(ofMode);
  }
  if (summary.modes.baseline && summary.modes.optimized) {
    const baselineDecisions = new Map<string, string>();
    for (const entry of entries) {
      if (entry.mode === 'baseline' && entry.decision !== undefined && !baselineDecisions.has(entry.date)) {
        baselineDecisions.set(entry.date, entry.decision);
      }
    }
    const compared = new Set<string>();
    let same = 0;
    for (const entry of entries) {
      const baseline = baselineDecisions.get(entry.date);
      if (entry.mode !== 'optimized' || entry.decision === undefined || baseline === undefined) continue;
      if (compared.has(entry.date)) continue;
      compared.add(entry.date);
      if (entry.decision === baseline) same += 1;
    }
    summary.agreement = {
      compared: compared.size,
      same,
      ...(compared.size > 0 ? { rate: same / compared.size } : {}),
    };
  }
  return summary;
}
