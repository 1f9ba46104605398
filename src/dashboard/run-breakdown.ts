// Where a run's tokens went, from its ledger records: per call and attempt, per agent, and in total. Pure: the
// run page renders it, tests check it against the records.
import { AGENT_NAMES, type AgentName } from '../core/agents';
import type { AttemptRecord, UsageSource } from '../core/ledger';
import { meanAbsolutePercentageError } from '../core/predictor';
import type { UsageRecord } from '../core/types';

/** One attempt of a call as the run page lists it. */
export interface AttemptBreakdown extends AttemptRecord {
  /** When the ledger wrote it: with its call. */
  recordedAt?: string;
}

/** One agent call: its tokens, words and prediction, and the attempts that spent them. */
export interface CallBreakdown {
  callId: string;
  runId: string;
  agent: AgentName;
  round: number;
  model: string;
  promptTokens: number;
  /** Part of `promptTokens`; undefined when the server did not say. */
  cachedPromptTokens?: number;
  completionTokens: number;
  /** Tokens of earlier attempts (all of them when the call got no answer). */
  lostTokens: number;
  /** prompt + completion + lost: everything the call put on the bill. */
  totalTokens: number;
  maxTokens: number;
  predictedTokens?: number;
  /** (predicted - actual) / actual completion tokens; undefined without a prediction or with no completion. */
  predictionError?: number;
  rawWords: number;
  words: number;
  wordLimit?: number;
  rawCompliant?: boolean;
  truncated: boolean;
  finishReason?: string;
  usageSource: UsageSource;
  costUsd?: number;
  latencyMs: number;
  attempts: AttemptBreakdown[];
}

/** Sums over an agent's calls. */
export interface AgentBreakdown {
  agent: AgentName;
  calls: number;
  promptTokens: number;
  /** Sum of the known cached counts; undefined when no call of the agent reported one. */
  cachedPromptTokens?: number;
  completionTokens: number;
  lostTokens: number;
  totalTokens: number;
  costUsd?: number;
}

/** Sums over the whole run; `calls` and the token fields add up over {@link RunBreakdown.calls}. */
export interface RunTotals extends Omit<AgentBreakdown, 'agent'> {
  /** Calls whose cost is unknown (a model without a price); they are not in `costUsd`. */
  callsWithoutCost: number;
}

/** Word-limit compliance of a run's calls. */
export interface ComplianceBreakdown {
  /** Calls whose raw answer's compliance is known (they had a word limit). */
  judged: number;
  /** Of those, calls whose raw answer kept its word limit. */
  compliant: number;
  /** compliant / judged; undefined when nothing was judged (a baseline run has no word limits). */
  rate?: number;
  /** Calls the limiter cut to their word limit. */
  truncated: number;
}

/** Predicted vs actual completion tokens over the calls that carried a prediction. */
export interface PredictionBreakdown {
  predictedCalls: number;
  predictedTokens: number;
  actualTokens: number;
  /** Mean absolute percentage error (a fraction); undefined when no call had both figures. */
  meanAbsolutePercentageError?: number;
}

/** Everything the run page shows about where a run's tokens went. */
export interface RunBreakdown {
  calls: CallBreakdown[];
  agents: AgentBreakdown[];
  totals: RunTotals;
  compliance: ComplianceBreakdown;
  prediction: PredictionBreakdown;
}

function sumKnown(values: ReadonlyArray<number | undefined>): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length === 0 ? undefined : known.reduce((sum, value) => sum + value, 0);
}

/**
 * A call's attempts in attempt order. The ledger writes a call's attempts with the call, so each was recorded
 * when the call was.
 */
function attemptsOf(record: UsageRecord): AttemptBreakdown[] {
  return [...(record.attemptRecords ?? [])]
    .sort((left, right) => left.attempt - right.attempt)
    .map((attempt) => ({
      ...attempt,
      ...(record.recordedAt === undefined ? {} : { recordedAt: record.recordedAt }),
    }));
}

function callOf(record: UsageRecord): CallBreakdown {
  const call: CallBreakdown = {
    callId: record.callId,
    runId: record.runId,
    agent: record.agent,
    round: record.round,
    model: record.model,
    promptTokens: record.promptTokens,
    completionTokens: record.completionTokens,
    lostTokens: record.lostTokens,
    totalTokens: record.promptTokens + record.completionTokens + record.lostTokens,
    maxTokens: record.maxTokens,
    rawWords: record.rawWords,
    words: record.words,
    truncated: record.truncated,
    usageSource: record.usageSource,
    latencyMs: record.latencyMs,
    attempts: attemptsOf(record),
  };
  if (record.cachedPromptTokens !== undefined) call.cachedPromptTokens = record.cachedPromptTokens;
  if (record.predictedTokens !== undefined) {
    call.predictedTokens = record.predictedTokens;
    if (record.completionTokens > 0) {
      call.predictionError = (record.predictedTokens - record.completionTokens) / record.completionTokens;
    }
  }
  if (record.wordLimit !== undefined) call.wordLimit = record.wordLimit;
  if (record.rawCompliant !== undefined) call.rawCompliant = record.rawCompliant;
  if (record.finishReason !== undefined) call.finishReason = record.finishReason;
  if (record.costUsd !== undefined) call.costUsd = record.costUsd;
  return call;
}

function sumsOf(calls: readonly CallBreakdown[]): Omit<AgentBreakdown, 'agent'> {
  const sums: Omit<AgentBreakdown, 'agent'> = {
    calls: calls.length,
    promptTokens: calls.reduce((sum, call) => sum + call.promptTokens, 0),
    completionTokens: calls.reduce((sum, call) => sum + call.completionTokens, 0),
    lostTokens: calls.reduce((sum, call) => sum + call.lostTokens, 0),
    totalTokens: calls.reduce((sum, call) => sum + call.totalTokens, 0),
  };
  const cached = sumKnown(calls.map((call) => call.cachedPromptTokens));
  if (cached !== undefined) sums.cachedPromptTokens = cached;
  const cost = sumKnown(calls.map((call) => call.costUsd));
  if (cost !== undefined) sums.costUsd = cost;
  return sums;
}

function rosterIndex(agent: AgentName): number {
  const index = AGENT_NAMES.indexOf(agent);
  // Agents of another tokenflow version sort after the roster instead of before it.
  return index === -1 ? AGENT_NAMES.length : index;
}

/**
 * Breaks a run's ledger down per call, per agent and in total. `records` are the run's usage records in the
 * order the ledger keeps them (oldest first) and `attempts` its attempt entries; calls keep the records' order.
 */
export function runBreakdown(records: readonly UsageRecord[]): RunBreakdown {
  const calls = records.map(callOf);

  const byAgent = new Map<AgentName, CallBreakdown[]>();
  for (const call of calls) byAgent.set(call.agent, [...(byAgent.get(call.agent) ?? []), call]);
  const agents = [...byAgent.entries()]
    .sort(([left], [right]) => rosterIndex(left) - rosterIndex(right) || left.localeCompare(right))
    .map(([agent, agentCalls]) => ({ agent, ...sumsOf(agentCalls) }));

  const judged = calls.filter((call) => call.rawCompliant !== undefined);
  const compliance: ComplianceBreakdown = {
    judged: judged.length,
    compliant: judged.filter((call) => call.rawCompliant === true).length,
    truncated: calls.filter((call) => call.truncated).length,
  };
  if (judged.length > 0) compliance.rate = compliance.compliant / compliance.judged;

  const predicted = calls.filter((call) => call.predictedTokens !== undefined);
  const prediction: PredictionBreakdown = {
    predictedCalls: predicted.length,
    predictedTokens: predicted.reduce((sum, call) => sum + (call.predictedTokens ?? 0), 0),
    actualTokens: predicted.reduce((sum, call) => sum + call.completionTokens, 0),
  };
  const error = meanAbsolutePercentageError(
    predicted.map((call) => ({ predicted: call.predictedTokens ?? 0, actual: call.completionTokens })),
  );
  if (!Number.isNaN(error)) prediction.meanAbsolutePercentageError = error;

  return {
    calls,
    agents,
    totals: {
      ...sumsOf(calls),
      callsWithoutCost: calls.filter((call) => call.costUsd === undefined).length,
    },
    compliance,
    prediction,
  };
}
