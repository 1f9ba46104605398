// Aggregates of recorded calls: per-agent statistics and the totals of one day. Pure: the usage store reads the
// records and runs, this file only counts them.
import { AGENT_NAMES, isAgentName, type AgentName } from './agents';
import { meanAbsolutePercentageError } from './predictor';
import type { PipelineMode, UsageRecord } from './types';

/** Per-agent aggregate over recorded calls. Rates and MAPE are fractions (0.2 = 20%). */
export interface AgentStatistics {
  agent: AgentName;
  calls: number;
  meanPromptTokens: number;
  medianPromptTokens: number;
  meanCompletionTokens: number;
  medianCompletionTokens: number;
  meanWords: number;
  /** Share of calls whose raw answer kept its word limit, over calls where that is known; undefined if none. */
  rawComplianceRate?: number;
  /** Share of calls whose answer was cut by the limiter. */
  truncationRate: number;
  /** Calls that carried a prediction; the three fields below are over these calls only. */
  predictedCalls: number;
  meanPredictedTokens?: number;
  meanActualCompletionTokens?: number;
  /** Mean absolute percentage error of predicted vs actual completion tokens (calls with actual > 0). */
  mape?: number;
  /** Sum of the known costs. */
  totalCostUsd: number;
  /** Calls whose cost is unknown (model without a price); they are not in `totalCostUsd`. */
  callsWithoutCost: number;
  totalLostTokens: number;
  meanLatencyMs: number;
  /** Sum of the cached prompt tokens of the calls whose server reported them; undefined when none did. */
  cachedPromptTokens?: number;
  /** {@link cachedShareOf} of the agent's calls. */
  cachedShare?: number;
}

/** Totals of one mode in a {@link DailyReport}. */
export interface DailyModeTotals {
  runs: number;
  calls: number;
  totalTokens: number;
  costUsd: number;
}

/** What happened on one UTC day. */
export interface DailyReport {
  day: string;
  /** Distinct workflows with at least one call recorded that day. */
  runs: number;
  /** Run summaries that finished that day. */
  finishedRuns: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Sum of the known cached prompt tokens. */
  cachedPromptTokens: number;
  /** {@link cachedShareOf} the day's calls. */
  cachedShare?: number;
  lostTokens: number;
  /** prompt + completion + lost: everything the day spent. */
  totalTokens: number;
  /** Sum of the known costs. */
  costUsd: number;
  callsWithoutCost: number;
  rawComplianceRate?: number;
  truncationRate?: number;
  /** 1 - prompt tokens sent / prompt tokens before optimization, over finished runs that reported both. */
  promptReduction?: number;
  byMode: Partial<Record<PipelineMode, DailyModeTotals>>;
  /** The same totals per model. */
  byModel: Record<string, DailyModeTotals>;
  /**
   * 1 - tokens per optimized run / tokens per baseline run, when the day has calls of both modes: the saving
   * against the origin project's behaviour measured on that day's own runs.
   */
  reductionAgainstBaseline?: number;
  /** Finished runs by budget status. */
  budgetStatuses: Record<string, number>;
  /** Finished runs by decision. */
  decisions: Record<string, number>;
  /**
   * Calls by how their answer ended (`stop`, `length`, `limit`, `repetition`...), for the calls that recorded
   * it: how often the model ran to `max_tokens` or had to be stopped looping.
   */
  finishReasons: Record<string, number>;
  perAgent: AgentStatistics[];
}

/** What {@link dailyReportOf} reads of a finished run (a run summary of the usage store has these fields). */
export interface FinishedRunTotals {
  /** e.g. `within`, `degraded`, `exhausted`, `cancelled`, `failed`. */
  budgetStatus: string;
  /** BUY / HOLD / SELL; undefined when the run ended without a decision. */
  decision?: string;
  promptTokens?: number;
  /** Prompt tokens the optimizer started from (before compression and context management), when known. */
  originalPromptTokens?: number;
}

function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? 0;
  return ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** What {@link cachedShareOf} reads of a call (a usage record or a run's call summary). */
export interface CachedPromptCounts {
  promptTokens: number;
  cachedPromptTokens?: number;
}

/**
 * The share of prompt tokens the provider served from its prompt cache (billed at the cached-input price),
 * over the calls whose server reported a cached count: a call that reported none is unknown, not uncached.
 * Undefined when no call reported one or their prompts were empty.
 */
export function cachedShareOf(calls: readonly CachedPromptCounts[]): number | undefined {
  const known = calls.filter((call) => call.cachedPromptTokens !== undefined);
  const prompt = known.reduce((sum, call) => sum + call.promptTokens, 0);
  if (known.length === 0 || prompt <= 0) return undefined;
  return known.reduce((sum, call) => sum + (call.cachedPromptTokens ?? 0), 0) / prompt;
}

function statisticsOf(agent: AgentName, records: readonly UsageRecord[]): AgentStatistics {
  const prompt = records.map((record) => record.promptTokens);
  const completion = records.map((record) => record.completionTokens);
  const complianceKnown = records.filter((record) => record.rawCompliant !== undefined);
  const predicted = records.filter((record) => record.predictedTokens !== undefined);
  const costs = records.filter((record) => record.costUsd !== undefined).map((record) => record.costUsd ?? 0);
  const statistics: AgentStatistics = {
    agent,
    calls: records.length,
    meanPromptTokens: mean(prompt),
    medianPromptTokens: median(prompt),
    meanCompletionTokens: mean(completion),
    medianCompletionTokens: median(completion),
    meanWords: mean(records.map((record) => record.words)),
    truncationRate:
      records.length === 0 ? 0 : records.filter((record) => record.truncated).length / records.length,
    predictedCalls: predicted.length,
    totalCostUsd: costs.reduce((sum, cost) => sum + cost, 0),
    callsWithoutCost: records.length - costs.length,
    totalLostTokens: records.reduce((sum, record) => sum + record.lostTokens, 0),
    meanLatencyMs: mean(records.map((record) => record.latencyMs)),
  };
  if (complianceKnown.length > 0) {
    statistics.rawComplianceRate =
      complianceKnown.filter((record) => record.rawCompliant === true).length / complianceKnown.length;
  }
  if (predicted.length > 0) {
    statistics.meanPredictedTokens = mean(predicted.map((record) => record.predictedTokens ?? 0));
    statistics.meanActualCompletionTokens = mean(predicted.map((record) => record.completionTokens));
  }
  const cachedKnown = records.filter((record) => record.cachedPromptTokens !== undefined);
  if (cachedKnown.length > 0) {
    statistics.cachedPromptTokens = cachedKnown.reduce(
      (sum, record) => sum + (record.cachedPromptTokens ?? 0),
      0,
    );
    const share = cachedShareOf(cachedKnown);
    if (share !== undefined) statistics.cachedShare = share;
  }
  const mape = meanAbsolutePercentageError(
    predicted.map((record) => ({ predicted: record.predictedTokens ?? 0, actual: record.completionTokens })),
  );
  if (!Number.isNaN(mape)) statistics.mape = mape;
  return statistics;
}

/**
 * One entry per agent that has records, in roster (pipeline) order. Records naming an agent outside the roster
 * (written by another version of tokenflow) are left out.
 */
export function agentStatisticsOf(records: readonly UsageRecord[]): AgentStatistics[] {
  const byAgent = new Map<AgentName, UsageRecord[]>();
  for (const record of records) {
    if (!isAgentName(record.agent)) continue;
    const list = byAgent.get(record.agent) ?? [];
    list.push(record);
    byAgent.set(record.agent, list);
  }
  return [...byAgent.entries()]
    .sort(([left], [right]) => AGENT_NAMES.indexOf(left) - AGENT_NAMES.indexOf(right))
    .map(([agent, agentRecords]) => statisticsOf(agent, agentRecords));
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Calls, tokens, cost and distinct runs of the records, grouped by `keyOf`. */
function totalsBy(
  records: readonly UsageRecord[],
  keyOf: (record: UsageRecord) => string,
): Record<string, DailyModeTotals> {
  const totals: Record<string, DailyModeTotals> = {};
  const workflows = new Map<string, Set<string>>();
  for (const record of records) {
    const key = keyOf(record);
    const entry = totals[key] ?? { runs: 0, calls: 0, totalTokens: 0, costUsd: 0 };
    entry.calls += 1;
    entry.totalTokens += record.promptTokens + record.completionTokens + record.lostTokens;
    entry.costUsd += record.costUsd ?? 0;
    totals[key] = entry;
    const seen = workflows.get(key) ?? new Set<string>();
    seen.add(record.workflowId);
    workflows.set(key, seen);
    entry.runs = seen.size;
  }
  return totals;
}

/**
 * Totals of one UTC day from the calls recorded that day and the runs that finished that day. Counts keep the
 * order they are given in (oldest first).
 */
export function dailyReportOf(
  day: string,
  records: readonly UsageRecord[],
  finished: readonly FinishedRunTotals[],
): DailyReport {
  const spent = (record: UsageRecord): number =>
    record.promptTokens + record.completionTokens + record.lostTokens;
  const complianceKnown = records.filter((record) => record.rawCompliant !== undefined);
  const costs = records.filter((record) => record.costUsd !== undefined);
  const byMode = totalsBy(records, (record) => record.mode) as Partial<Record<PipelineMode, DailyModeTotals>>;
  const byModel = totalsBy(records, (record) => record.model);
  const reducible = finished.filter(
    (run) =>
      run.originalPromptTokens !== undefined &&
      run.originalPromptTokens > 0 &&
      run.promptTokens !== undefined,
  );
  const originalPrompt = reducible.reduce((sum, run) => sum + (run.originalPromptTokens ?? 0), 0);
  const sentPrompt = reducible.reduce((sum, run) => sum + (run.promptTokens ?? 0), 0);

  const report: DailyReport = {
    day,
    runs: new Set(records.map((record) => record.workflowId)).size,
    finishedRuns: finished.length,
    calls: records.length,
    promptTokens: records.reduce((sum, record) => sum + record.promptTokens, 0),
    completionTokens: records.reduce((sum, record) => sum + record.completionTokens, 0),
    cachedPromptTokens: records.reduce((sum, record) => sum + (record.cachedPromptTokens ?? 0), 0),
    lostTokens: records.reduce((sum, record) => sum + record.lostTokens, 0),
    totalTokens: records.reduce((sum, record) => sum + spent(record), 0),
    costUsd: costs.reduce((sum, record) => sum + (record.costUsd ?? 0), 0),
    callsWithoutCost: records.length - costs.length,
    byMode,
    byModel,
    budgetStatuses: countBy(finished.map((run) => run.budgetStatus)),
    decisions: countBy(finished.map((run) => run.decision ?? 'none')),
    finishReasons: countBy(
      records.flatMap((record) => (record.finishReason === undefined ? [] : [record.finishReason])),
    ),
    perAgent: agentStatisticsOf(records),
  };
  if (complianceKnown.length > 0) {
    report.rawComplianceRate =
      complianceKnown.filter((record) => record.rawCompliant === true).length / complianceKnown.length;
  }
  if (records.length > 0)
    report.truncationRate = records.filter((record) => record.truncated).length / records.length;
  if (originalPrompt > 0) report.promptReduction = 1 - sentPrompt / originalPrompt;
  const cachedShare = cachedShareOf(records);
  if (cachedShare !== undefined) report.cachedShare = cachedShare;
  const { baseline, optimized } = byMode;
  if (baseline && optimized && baseline.runs > 0 && optimized.runs > 0 && baseline.totalTokens > 0) {
    report.reductionAgainstBaseline =
      1 - optimized.totalTokens / optimized.runs / (baseline.totalTokens / baseline.runs);
  }
  return report;
}
