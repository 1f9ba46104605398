// The worker's metrics in one prom-client registry: the OpenTelemetry GenAI client metrics under their
// Prometheus names and tokenflow's own. Ledger figures are recorded from the record as the ledger keeps it
// (observe-ledger.ts calls in here only for records the store inserted); request timing comes from the invoke
// activity, which alone sees a request start and its first chunk.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptRecord } from '../core/ledger';
import type { UsageRecord } from '../core/types';
import type { RunSummary } from '../storage/usage-store';
import {
  CALL_LABELS,
  GEN_AI_LABELS,
  GEN_AI_TOKEN_TYPE,
  TOKEN_TYPE,
  callLabels,
  genAiLabels,
} from './metric-labels';

/**
 * Bucket boundaries the OpenTelemetry GenAI conventions advise for `gen_ai.client.token.usage`: powers of 4
 * from 1 token to 64M.
 */
export const TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];

/**
 * The convention's advice for `gen_ai.client.operation.duration` (10 ms doubling to 81.92 s), extended to
 * 5.5 minutes: a busy server may hold a request for minutes and a CPU model writes slowly.
 */
export const OPERATION_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68,
];

/**
 * The convention's advice for time to first token/chunk, extended to 10 minutes, as long as tokenflow waits
 * for a busy server's first byte by default.
 */
export const TIME_TO_FIRST_CHUNK_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600,
];

/** |predicted - actual| / actual: 5% to 10 times off. */
export const PREDICTION_ERROR_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

/** One HTTP request of a model call, as the invoke activity saw it. */
export interface ModelRequestObservation {
  agent: string;
  provider: UsageRecord['provider'];
  model: string;
  /** The run's mode (`optimized`, `baseline`), `unknown` for a request of a run that did not say. */
  mode: string;
  /** From sending the request to the end of its answer (or its failure). */
  durationSeconds: number;
  /** From sending the request to its first streamed chunk; absent when none came. */
  timeToFirstChunkSeconds?: number;
  /** The failure type (`RateLimited`, `StreamDropped`, ...) or `cancelled`; absent when the answer came. */
  errorType?: string;
}

/** One running run's budget as its `budget` query answers. */
export interface RunBudget {
  workflowId: string;
  hardCap: number;
  remaining: number;
}

/** Where the per-run budget gauges come from at scrape time (the running runs' `budget` queries). */
export type RunBudgetSource = () => Promise<readonly RunBudget[]>;

/** What the ledger observer records: only records and summaries the store actually wrote. */
export interface LedgerMetrics {
  recordUsage(record: UsageRecord): void;
  recordRun(summary: RunSummary): void;
}

/** What the invoke activity records for each request it sends. */
export interface RequestMetrics {
  observeRequest(observation: ModelRequestObservation): void;
}

/** The worker's metrics: recorders plus the Prometheus text of everything recorded. */
export interface TokenflowMetrics extends LedgerMetrics, RequestMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition (format 0.0.4) of every metric of the registry. */
  exposition(): Promise<string>;
}

/** Options of {@link createTokenflowMetrics}. */
export interface TokenflowMetricsOptions {
  /** Budgets of the running runs, asked at every scrape; absent, the per-run gauges stay empty. */
  runBudgets?: RunBudgetSource;
  /** Node's process metrics (CPU, memory, event loop lag) beside tokenflow's; on by default. */
  processMetrics?: boolean;
}

/** The attempts of a record; a record written before attempts were kept counts as one answered request. */
function requestsOf(
  record: UsageRecord,
): readonly Pick<AttemptRecord, 'promptTokens' | 'completionTokens'>[] {
  if (record.attemptRecords && record.attemptRecords.length > 0) return record.attemptRecords;
  return [{ promptTokens: record.promptTokens, completionTokens: record.completionTokens }];
}

/** Builds the metrics on a registry of their own, so several worker sets in one process never collide. */
export function createTokenflowMetrics(options: TokenflowMetricsOptions = {}): TokenflowMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const tokenUsage = new Histogram({
    name: 'gen_ai_client_token_usage',
    help: 'OpenTelemetry gen_ai.client.token.usage: input and output tokens of each request to the model, every attempt the ledger bills included ({token}).',
    labelNames: [...GEN_AI_LABELS, 'mode', 'gen_ai_token_type'],
    buckets: TOKEN_USAGE_BUCKETS,
    registers,
  });
  const operationDuration = new Histogram({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'OpenTelemetry gen_ai.client.operation.duration: from sending a request to the end of its answer or its failure (error_type set).',
    labelNames: [...GEN_AI_LABELS, 'mode', 'error_type'],
    buckets: OPERATION_DURATION_BUCKETS,
    registers,
  });
  const timeToFirstChunk = new Histogram({
    name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
    help: 'OpenTelemetry gen_ai.client.operation.time_to_first_chunk: from sending a streamed request to its first chunk.',
    labelNames: [...GEN_AI_LABELS, 'mode'],
    buckets: TIME_TO_FIRST_CHUNK_BUCKETS,
    registers,
  });

  const tokens = new Counter({
    name: 'tokenflow_tokens_total',
    help: 'Tokens the ledger recorded, by ledger column: prompt, cached_prompt (part of prompt), completion, lost (earlier or unanswered attempts).',
    labelNames: [...CALL_LABELS, 'token_type'],
    registers,
  });
  const calls = new Counter({
    name: 'tokenflow_calls_total',
    help: 'Agent calls the ledger recorded (one record per call, retries included).',
    labelNames: [...CALL_LABELS],
    registers,
  });
  const cost = new Counter({
    name: 'tokenflow_cost_usd_total',
    help: 'Cost in USD of the recorded calls whose model has a price (every attempt billed).',
    labelNames: [...CALL_LABELS],
    registers,
  });
  const wordLimitCalls = new Counter({
    name: 'tokenflow_word_limit_calls_total',
    help: 'Recorded calls with a word limit whose compliance is known.',
    labelNames: [...CALL_LABELS],
    registers,
  });
  const wordLimitCompliant = new Counter({
    name: 'tokenflow_word_limit_compliant_calls_total',
    help: 'Recorded calls whose raw answer kept its word limit (before the limiter cut anything).',
    labelNames: [...CALL_LABELS],
    registers,
  });
  const predictionError = new Histogram({
    name: 'tokenflow_prediction_error_ratio',
    help: '|predicted - actual| / actual completion tokens of recorded calls with a prediction and an answer (mean = MAPE).',
    labelNames: [...CALL_LABELS],
    buckets: PREDICTION_ERROR_BUCKETS,
    registers,
  });
  const streamStops = new Counter({
    name: 'tokenflow_stream_stops_total',
    help: 'How recorded calls ended: stop, length, limit and repetition (stopped by the stream monitor), content_filter, failed, cancelled, ...',
    labelNames: [...CALL_LABELS, 'finish_reason'],
    registers,
  });
  const runs = new Counter({
    name: 'tokenflow_runs_total',
    help: 'Finished runs by budget status (within, degraded, exhausted, overrun, cancelled, failed).',
    labelNames: ['budget_status', 'mode'],
    registers,
  });

  // Both gauges are rebuilt from the running runs at every scrape, so a finished run's series disappears.
  let pendingBudgets: Promise<readonly RunBudget[]> | undefined;
  const currentBudgets = (): Promise<readonly RunBudget[]> => {
    // One round of queries serves both gauges of a scrape.
    pendingBudgets ??= (options.runBudgets?.() ?? Promise.resolve([]))
      // A failed look-up costs this scrape its per-run gauges, never the ledger's figures.
      .catch(() => [])
      .finally(() => {
        pendingBudgets = undefined;
      });
    return pendingBudgets;
  };
  new Gauge({
    name: 'tokenflow_run_budget_remaining_tokens',
    help: 'Tokens a running run can still reserve (its budget query: hard cap minus spent and reserved); gone when the run ends.',
    labelNames: ['workflow_id'],
    registers,
    async collect() {
      const budgets = await currentBudgets();
      this.reset();
      for (const budget of budgets) this.set({ workflow_id: budget.workflowId }, budget.remaining);
    },
  });
  new Gauge({
    name: 'tokenflow_run_budget_hard_cap_tokens',
    help: "A running run's hard cap (changeBudget may move it); gone when the run ends.",
    labelNames: ['workflow_id'],
    registers,
    async collect() {
      const budgets = await currentBudgets();
      this.reset();
      for (const budget of budgets) this.set({ workflow_id: budget.workflowId }, budget.hardCap);
    },
  });

  return {
    registry,

    recordUsage(record) {
      const labels = callLabels(record);
      calls.inc(labels);
      tokens.inc({ ...labels, token_type: TOKEN_TYPE.prompt }, record.promptTokens);
      tokens.inc({ ...labels, token_type: TOKEN_TYPE.completion }, record.completionTokens);
      tokens.inc({ ...labels, token_type: TOKEN_TYPE.lost }, record.lostTokens);
      // Unknown stays unknown: a server that did not say adds nothing, as in the daily report's sum.
      if (record.cachedPromptTokens !== undefined)
        tokens.inc({ ...labels, token_type: TOKEN_TYPE.cachedPrompt }, record.cachedPromptTokens);

      // Each attempt is one request to the model, billed in full: OpenTelemetry's operation.
      const requestLabels = { ...genAiLabels(record), mode: record.mode };
      for (const request of requestsOf(record)) {
        tokenUsage.observe(
          { ...requestLabels, gen_ai_token_type: GEN_AI_TOKEN_TYPE.input },
          request.promptTokens,
        );
        tokenUsage.observe(
          { ...requestLabels, gen_ai_token_type: GEN_AI_TOKEN_TYPE.output },
          request.completionTokens,
        );
      }

      if (record.costUsd !== undefined) cost.inc(labels, record.costUsd);
      if (record.wordLimit !== undefined && record.rawCompliant !== undefined) {
        wordLimitCalls.inc(labels);
        // inc by 0 keeps the compliant series beside its denominator, so the ratio is 0, not absent.
        wordLimitCompliant.inc(labels, record.rawCompliant ? 1 : 0);
      }
      // The same pairs as the daily report's MAPE: a prediction, and an answer with tokens.
      if (record.predictedTokens !== undefined && record.completionTokens > 0) {
        predictionError.observe(
          labels,
          Math.abs(record.predictedTokens - record.completionTokens) / record.completionTokens,
        );
      }
      if (record.finishReason !== undefined)
        streamStops.inc({ ...labels, finish_reason: record.finishReason });
    },

    recordRun(summary) {
      runs.inc({ budget_status: summary.budgetStatus, mode: summary.mode });
    },

    observeRequest(observation) {
      const labels = { ...genAiLabels(observation), mode: observation.mode };
      operationDuration.observe(
        observation.errorType === undefined ? labels : { ...labels, error_type: observation.errorType },
        observation.durationSeconds,
      );
      if (observation.timeToFirstChunkSeconds !== undefined)
        timeToFirstChunk.observe(labels, observation.timeToFirstChunkSeconds);
    },

    exposition() {
      return registry.metrics();
    },
  };
}
