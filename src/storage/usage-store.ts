import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AGENT_NAMES, isAgentName, type AgentName } from '../core/agents';
import {
  ATTEMPT_OUTCOMES,
  USAGE_SOURCES,
  normalizeUsageSource,
  type AttemptOutcome,
  type AttemptRecord,
} from '../core/ledger';
import { meanAbsolutePercentageError } from '../core/predictor';
import { readDrift } from '../core/tokenizer-drift';
import type { AgentCalibration, Calibration } from '../core/run-types';
import type { PipelineMode, UsageRecord } from '../core/types';

export type { AgentCalibration, Calibration };

/** A record or argument the store refuses; the message says which field and what to do. */
export class UsageStoreError extends Error {
  override name = 'UsageStoreError';
}

/** Filter of {@link UsageStore.listUsage}. */
export interface UsageFilter {
  workflowId?: string;
  agent?: AgentName;
  /** ISO timestamp or `YYYY-MM-DD` (UTC); records at or after it. */
  since?: string;
  /** The latest `limit` records (still returned oldest first). */
  limit?: number;
}

/** One attempt of a call in the ledger: keyed by workflow id, run id, call (agent and round) and attempt. */
export interface AttemptLedgerEntry extends AttemptRecord {
  workflowId: string;
  runId: string;
  callId: string;
  agent: AgentName;
  round: number;
  recordedAt: string;
}

/** Filter of {@link UsageStore.agentStatistics} and {@link UsageStore.completionHistory}. */
export interface StatisticsFilter {
  /** ISO timestamp or `YYYY-MM-DD` (UTC); records at or after it. */
  since?: string;
  /** Records before it (exclusive); lets a caller hold out the newest calls for evaluation. */
  until?: string;
  mode?: PipelineMode;
  provider?: string;
  model?: string;
}

/** Filter of {@link UsageStore.completionHistory}. */
export interface CompletionHistoryFilter extends StatisticsFilter {
  /** Leave out calls whose answer was cut, since their length is not what the model wanted to write. */
  excludeTruncated?: boolean;
}

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
}

/** Run-level summary, written once per run at its end (an upsert keyed by `workflowId`). */
export interface RunSummary {
  workflowId: string;
  runId?: string;
  ticker: string;
  /** Analysis date, `YYYY-MM-DD`. */
  date: string;
  mode: PipelineMode;
  /** BUY / HOLD / SELL; undefined when the run ended without a decision. */
  decision?: string;
  /** Everything the run spent: prompt + completion + tokens of failed attempts. */
  totalTokens: number;
  promptTokens?: number;
  completionTokens?: number;
  /** Prompt tokens the optimizer started from (before compression and context management), when known. */
  originalPromptTokens?: number;
  /** The run's hard cap. */
  budgetTokens?: number;
  costUsd?: number;
  /** e.g. `within`, `degraded`, `exhausted`, `cancelled`, `failed`. */
  budgetStatus: string;
  calibrationVersion?: string;
  /** ISO timestamps. */
  startedAt: string;
  finishedAt?: string;
}

/** Filter of {@link UsageStore.listRuns}. */
export interface RunFilter {
  ticker?: string;
  mode?: PipelineMode;
  /** Runs started at or after it (ISO timestamp or `YYYY-MM-DD`). */
  since?: string;
  limit?: number;
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

/** SQLite store of usage records, run summaries and calibration versions. */
export interface UsageStore {
  /** Where the database lives (`:memory:` for tests). */
  readonly file: string;
  /**
   * Writes one record and its attempts; a second write of the same call (workflow id, run id, call id) is
   * ignored and returns `inserted: false`. A call of another run of the same workflow id (a reset, a reused id)
   * is a record of its own.
   */
  recordUsage(record: UsageRecord): { inserted: boolean };
  /** Usage records, oldest first; filtered by workflow, each carries its attempts. */
  listUsage(filter?: UsageFilter): UsageRecord[];
  /** Every attempt of every call of a workflow (all its runs), oldest first. */
  listAttempts(workflowId: string): AttemptLedgerEntry[];
  /** One entry per agent that has calls, in roster (pipeline) order. */
  agentStatistics(filter?: StatisticsFilter): AgentStatistics[];
  /** The agent's latest `limit` completion token counts, newest last. */
  completionHistory(agent: AgentName, limit: number, filter?: CompletionHistoryFilter): number[];
  /** Totals of one UTC day (`YYYY-MM-DD`). */
  dailyReport(day: string): DailyReport;
  /** Inserts or replaces the run's summary. */
  recordRun(summary: RunSummary): void;
  /** Run summaries, newest start first. */
  listRuns(filter?: RunFilter): RunSummary[];
  /** One run's summary, if recorded. */
  getRun(workflowId: string): RunSummary | undefined;
  /**
   * Saves a calibration version and makes it the active one. Saving a version that already exists is a no-op
   * (a retried learning activity must not fork history), and the existing version stays as it was.
   */
  saveCalibration(calibration: Calibration): void;
  /** Makes an existing version active again (roll back a bad calibration). */
  activateCalibration(version: string): void;
  /** The active version, or undefined before the first calibration. */
  activeCalibration(): Calibration | undefined;
  /** Calibration versions, newest first. */
  listCalibrations(limit?: number): Calibration[];
  close(): void;
}

/** Options of {@link openUsageStore}. */
export interface UsageStoreOptions {
  /** Clock for records saved without `recordedAt`; defaults to the system clock. */
  now?: () => Date;
}

/**
 * Schema migrations, applied in order; `PRAGMA user_version` holds how many have run. Append, never edit:
 * a database on a user's disk has already run the earlier ones.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE usage_records (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL UNIQUE,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    ticker TEXT NOT NULL,
    agent TEXT NOT NULL,
    round INTEGER NOT NULL,
    mode TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_prompt_tokens INTEGER,
    lost_tokens INTEGER NOT NULL,
    usage_source TEXT NOT NULL,
    raw_words INTEGER NOT NULL,
    words INTEGER NOT NULL,
    word_limit INTEGER,
    raw_compliant INTEGER,
    truncated INTEGER NOT NULL,
    predicted_tokens INTEGER,
    max_tokens INTEGER NOT NULL,
    cost_usd REAL,
    latency_ms REAL NOT NULL,
    attempts INTEGER NOT NULL,
    calibration_version TEXT,
    recorded_at TEXT NOT NULL
  );
  CREATE INDEX usage_records_agent_time ON usage_records (agent, recorded_at);
  CREATE INDEX usage_records_workflow ON usage_records (workflow_id);
  CREATE INDEX usage_records_time ON usage_records (recorded_at);

  CREATE TABLE runs (
    workflow_id TEXT PRIMARY KEY,
    run_id TEXT,
    ticker TEXT NOT NULL,
    date TEXT NOT NULL,
    mode TEXT NOT NULL,
    decision TEXT,
    total_tokens INTEGER NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    original_prompt_tokens INTEGER,
    budget_tokens INTEGER,
    cost_usd REAL,
    budget_status TEXT NOT NULL,
    calibration_version TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE INDEX runs_started ON runs (started_at);
  CREATE INDEX runs_finished ON runs (finished_at);

  CREATE TABLE calibrations (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    reasons TEXT NOT NULL,
    agents TEXT NOT NULL
  );
  CREATE TABLE active_calibration (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version TEXT NOT NULL REFERENCES calibrations (version)
  );
  `,
  // How each answer ended (stop, length, limit, repetition...); NULL for calls recorded before.
  `ALTER TABLE usage_records ADD COLUMN finish_reason TEXT;`,
  // The ledger: a call is keyed by its run too (a reset or a reused workflow id is another run), every attempt
  // is a row of its own, tokenflow's own counts sit beside the server's (for tokenizer drift), and a
  // calibration keeps the drift it learned per model.
  `
  CREATE TABLE usage_records_by_run (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    ticker TEXT NOT NULL,
    agent TEXT NOT NULL,
    round INTEGER NOT NULL,
    mode TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_prompt_tokens INTEGER,
    lost_tokens INTEGER NOT NULL,
    usage_source TEXT NOT NULL,
    raw_words INTEGER NOT NULL,
    words INTEGER NOT NULL,
    word_limit INTEGER,
    raw_compliant INTEGER,
    truncated INTEGER NOT NULL,
    predicted_tokens INTEGER,
    max_tokens INTEGER NOT NULL,
    cost_usd REAL,
    latency_ms REAL NOT NULL,
    attempts INTEGER NOT NULL,
    calibration_version TEXT,
    recorded_at TEXT NOT NULL,
    finish_reason TEXT,
    local_prompt_tokens INTEGER,
    local_completion_tokens INTEGER,
    UNIQUE (workflow_id, run_id, call_id)
  );
  INSERT INTO usage_records_by_run (
    id, call_id, workflow_id, run_id, ticker, agent, round, mode, provider, model, prompt_tokens,
    completion_tokens, cached_prompt_tokens, lost_tokens, usage_source, raw_words, words, word_limit,
    raw_compliant, truncated, predicted_tokens, max_tokens, cost_usd, latency_ms, attempts,
    calibration_version, recorded_at, finish_reason
  )
  SELECT
    id, call_id, workflow_id, run_id, ticker, agent, round, mode, provider, model, prompt_tokens,
    completion_tokens, cached_prompt_tokens, lost_tokens, usage_source, raw_words, words, word_limit,
    raw_compliant, truncated, predicted_tokens, max_tokens, cost_usd, latency_ms, attempts,
    calibration_version, recorded_at, finish_reason
  FROM usage_records;
  DROP TABLE usage_records;
  ALTER TABLE usage_records_by_run RENAME TO usage_records;
  CREATE INDEX usage_records_agent_time ON usage_records (agent, recorded_at);
  CREATE INDEX usage_records_workflow ON usage_records (workflow_id);
  CREATE INDEX usage_records_time ON usage_records (recorded_at);

  CREATE TABLE usage_attempts (
    id INTEGER PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    round INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    source TEXT NOT NULL,
    failure_type TEXT,
    recorded_at TEXT NOT NULL,
    UNIQUE (workflow_id, run_id, call_id, attempt)
  );
  CREATE INDEX usage_attempts_workflow ON usage_attempts (workflow_id);
  CREATE INDEX usage_attempts_time ON usage_attempts (recorded_at);

  ALTER TABLE calibrations ADD COLUMN tokenizer_drift TEXT;
  `,
];

interface UsageRow {
  call_id: string;
  workflow_id: string;
  run_id: string;
  ticker: string;
  agent: string;
  round: number;
  mode: string;
  provider: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  cached_prompt_tokens: number | null;
  lost_tokens: number;
  usage_source: string;
  raw_words: number;
  words: number;
  word_limit: number | null;
  raw_compliant: number | null;
  truncated: number;
  predicted_tokens: number | null;
  max_tokens: number;
  cost_usd: number | null;
  latency_ms: number;
  attempts: number;
  calibration_version: string | null;
  recorded_at: string;
  finish_reason: string | null;
  local_prompt_tokens: number | null;
  local_completion_tokens: number | null;
}

interface AttemptRow {
  workflow_id: string;
  run_id: string;
  call_id: string;
  agent: string;
  round: number;
  attempt: number;
  outcome: string;
  prompt_tokens: number;
  completion_tokens: number;
  source: string;
  failure_type: string | null;
  recorded_at: string;
}

function rowToAttempt(row: AttemptRow): AttemptLedgerEntry {
  const entry: AttemptLedgerEntry = {
    workflowId: row.workflow_id,
    runId: row.run_id,
    callId: row.call_id,
    agent: row.agent as AgentName,
    round: row.round,
    attempt: row.attempt,
    outcome: row.outcome as AttemptOutcome,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    source: normalizeUsageSource(row.source),
    recordedAt: row.recorded_at,
  };
  if (row.failure_type !== null) entry.failureType = row.failure_type;
  return entry;
}

interface RunRow {
  workflow_id: string;
  run_id: string | null;
  ticker: string;
  date: string;
  mode: string;
  decision: string | null;
  total_tokens: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  original_prompt_tokens: number | null;
  budget_tokens: number | null;
  cost_usd: number | null;
  budget_status: string;
  calibration_version: string | null;
  started_at: string;
  finished_at: string | null;
}

interface CalibrationRow {
  version: string;
  created_at: string;
  reasons: string;
  agents: string;
  tokenizer_drift: string | null;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Timestamps are stored as `toISOString()` text so that string order is time order; a bare day stays as is
 * because it already sorts before every timestamp of that day.
 */
function normalizeTimestamp(value: string, field: string): string {
  if (DAY_PATTERN.test(value)) return value;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new UsageStoreError(`${field} "${value}" is not a date; pass an ISO timestamp or YYYY-MM-DD.`);
  }
  return time.toISOString();
}

function optionalNumber(value: number | null): number | undefined {
  return value === null ? undefined : value;
}

function optionalString(value: string | null): string | undefined {
  return value === null ? undefined : value;
}

function optionalBoolean(value: number | null): boolean | undefined {
  return value === null ? undefined : value === 1;
}

/** SQLite refuses `undefined` bindings; absent optional values become NULL. */
function nullable<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

function booleanToInteger(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0;
}

function rowToRecord(row: UsageRow): UsageRecord {
  const record: UsageRecord = {
    callId: row.call_id,
    workflowId: row.workflow_id,
    runId: row.run_id,
    ticker: row.ticker,
    agent: row.agent as AgentName,
    round: row.round,
    mode: row.mode as PipelineMode,
    provider: row.provider as UsageRecord['provider'],
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    lostTokens: row.lost_tokens,
    usageSource: normalizeUsageSource(row.usage_source),
    rawWords: row.raw_words,
    words: row.words,
    truncated: row.truncated === 1,
    maxTokens: row.max_tokens,
    latencyMs: row.latency_ms,
    attempts: row.attempts,
    recordedAt: row.recorded_at,
  };
  // Optional fields are left out rather than set to undefined so records compare equal to what was written.
  const cached = optionalNumber(row.cached_prompt_tokens);
  if (cached !== undefined) record.cachedPromptTokens = cached;
  const wordLimit = optionalNumber(row.word_limit);
  if (wordLimit !== undefined) record.wordLimit = wordLimit;
  const rawCompliant = optionalBoolean(row.raw_compliant);
  if (rawCompliant !== undefined) record.rawCompliant = rawCompliant;
  const predicted = optionalNumber(row.predicted_tokens);
  if (predicted !== undefined) record.predictedTokens = predicted;
  const cost = optionalNumber(row.cost_usd);
  if (cost !== undefined) record.costUsd = cost;
  const calibration = optionalString(row.calibration_version);
  if (calibration !== undefined) record.calibrationVersion = calibration;
  const finishReason = optionalString(row.finish_reason);
  if (finishReason !== undefined) record.finishReason = finishReason;
  const localPrompt = optionalNumber(row.local_prompt_tokens);
  if (localPrompt !== undefined) record.localPromptTokens = localPrompt;
  const localCompletion = optionalNumber(row.local_completion_tokens);
  if (localCompletion !== undefined) record.localCompletionTokens = localCompletion;
  return record;
}

function rowToRun(row: RunRow): RunSummary {
  const summary: RunSummary = {
    workflowId: row.workflow_id,
    ticker: row.ticker,
    date: row.date,
    mode: row.mode as PipelineMode,
    totalTokens: row.total_tokens,
    budgetStatus: row.budget_status,
    startedAt: row.started_at,
  };
  const optional: Partial<RunSummary> = {
    runId: optionalString(row.run_id),
    decision: optionalString(row.decision),
    promptTokens: optionalNumber(row.prompt_tokens),
    completionTokens: optionalNumber(row.completion_tokens),
    originalPromptTokens: optionalNumber(row.original_prompt_tokens),
    budgetTokens: optionalNumber(row.budget_tokens),
    costUsd: optionalNumber(row.cost_usd),
    calibrationVersion: optionalString(row.calibration_version),
    finishedAt: optionalString(row.finished_at),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (summary as unknown as Record<string, unknown>)[key] = value;
  }
  return summary;
}

function rowToCalibration(row: CalibrationRow): Calibration {
  const calibration: Calibration = {
    version: row.version,
    createdAt: row.created_at,
    reasons: JSON.parse(row.reasons) as string[],
    agents: JSON.parse(row.agents) as Calibration['agents'],
  };
  if (row.tokenizer_drift !== null) {
    const stored = JSON.parse(row.tokenizer_drift) as Record<string, unknown>;
    const drift: NonNullable<Calibration['tokenizerDrift']> = {};
    for (const [model, value] of Object.entries(stored)) {
      const read = readDrift(value);
      if (read) drift[model] = read;
    }
    calibration.tokenizerDrift = drift;
  }
  return calibration;
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

function requireNonNegativeInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new UsageStoreError(
      `Usage record field ${field} must be a non-negative integer, got ${String(value)}.`,
    );
  }
}

function validateRecord(record: UsageRecord): void {
  for (const field of ['callId', 'workflowId', 'runId', 'ticker', 'provider', 'model'] as const) {
    if (typeof record[field] !== 'string' || record[field].length === 0) {
      throw new UsageStoreError(`Usage record field ${field} must be a non-empty string.`);
    }
  }
  if (!isAgentName(record.agent)) {
    throw new UsageStoreError(
      `Usage record names an unknown agent "${String(record.agent)}"; use a name from src/core/agents.ts.`,
    );
  }
  if (record.mode !== 'optimized' && record.mode !== 'baseline') {
    throw new UsageStoreError(
      `Usage record field mode must be "optimized" or "baseline", got "${String(record.mode)}".`,
    );
  }
  if (!(USAGE_SOURCES as readonly string[]).includes(record.usageSource)) {
    throw new UsageStoreError(
      `Usage record field usageSource must be one of ${USAGE_SOURCES.join(', ')}, got "${String(record.usageSource)}".`,
    );
  }
  for (const [index, attempt] of (record.attemptRecords ?? []).entries()) {
    const field = `attemptRecords[${index}]`;
    requireNonNegativeInteger(attempt.attempt, `${field}.attempt`);
    requireNonNegativeInteger(attempt.promptTokens, `${field}.promptTokens`);
    requireNonNegativeInteger(attempt.completionTokens, `${field}.completionTokens`);
    if (!(ATTEMPT_OUTCOMES as readonly string[]).includes(attempt.outcome)) {
      throw new UsageStoreError(
        `Usage record field ${field}.outcome must be one of ${ATTEMPT_OUTCOMES.join(', ')}, got "${String(attempt.outcome)}".`,
      );
    }
    if (!(USAGE_SOURCES as readonly string[]).includes(attempt.source)) {
      throw new UsageStoreError(
        `Usage record field ${field}.source must be one of ${USAGE_SOURCES.join(', ')}, got "${String(attempt.source)}".`,
      );
    }
  }
  for (const field of [
    'round',
    'promptTokens',
    'completionTokens',
    'lostTokens',
    'rawWords',
    'words',
    'maxTokens',
    'attempts',
  ] as const) {
    requireNonNegativeInteger(record[field], field);
  }
  for (const field of [
    'cachedPromptTokens',
    'wordLimit',
    'predictedTokens',
    'localPromptTokens',
    'localCompletionTokens',
  ] as const) {
    if (record[field] !== undefined) requireNonNegativeInteger(record[field], field);
  }
  if (!Number.isFinite(record.latencyMs) || record.latencyMs < 0) {
    throw new UsageStoreError(
      `Usage record field latencyMs must be a non-negative number, got ${String(record.latencyMs)}.`,
    );
  }
  if (record.costUsd !== undefined && (!Number.isFinite(record.costUsd) || record.costUsd < 0)) {
    throw new UsageStoreError(
      `Usage record field costUsd must be a non-negative number or absent, got ${String(record.costUsd)}.`,
    );
  }
}

function validateDay(day: string): void {
  if (!DAY_PATTERN.test(day) || Number.isNaN(new Date(`${day}T00:00:00Z`).getTime())) {
    throw new UsageStoreError(`Day "${day}" is not a date; pass it as YYYY-MM-DD.`);
  }
}

function nextDay(day: string): string {
  const time = new Date(`${day}T00:00:00Z`);
  time.setUTCDate(time.getUTCDate() + 1);
  return time.toISOString().slice(0, 10);
}

function statisticsOf(agent: AgentName, rows: readonly UsageRow[]): AgentStatistics {
  const prompt = rows.map((row) => row.prompt_tokens);
  const completion = rows.map((row) => row.completion_tokens);
  const complianceKnown = rows.filter((row) => row.raw_compliant !== null);
  const predicted = rows.filter((row) => row.predicted_tokens !== null);
  const costs = rows.filter((row) => row.cost_usd !== null).map((row) => row.cost_usd ?? 0);
  const statistics: AgentStatistics = {
    agent,
    calls: rows.length,
    meanPromptTokens: mean(prompt),
    medianPromptTokens: median(prompt),
    meanCompletionTokens: mean(completion),
    medianCompletionTokens: median(completion),
    meanWords: mean(rows.map((row) => row.words)),
    truncationRate: rows.length === 0 ? 0 : rows.filter((row) => row.truncated === 1).length / rows.length,
    predictedCalls: predicted.length,
    totalCostUsd: costs.reduce((sum, cost) => sum + cost, 0),
    callsWithoutCost: rows.length - costs.length,
    totalLostTokens: rows.reduce((sum, row) => sum + row.lost_tokens, 0),
    meanLatencyMs: mean(rows.map((row) => row.latency_ms)),
  };
  if (complianceKnown.length > 0) {
    statistics.rawComplianceRate =
      complianceKnown.filter((row) => row.raw_compliant === 1).length / complianceKnown.length;
  }
  if (predicted.length > 0) {
    statistics.meanPredictedTokens = mean(predicted.map((row) => row.predicted_tokens ?? 0));
    statistics.meanActualCompletionTokens = mean(predicted.map((row) => row.completion_tokens));
  }
  const mape = meanAbsolutePercentageError(
    predicted.map((row) => ({ predicted: row.predicted_tokens ?? 0, actual: row.completion_tokens })),
  );
  if (!Number.isNaN(mape)) statistics.mape = mape;
  return statistics;
}

/** Builds a WHERE clause from optional conditions; values are bound, never interpolated. */
function whereClause(conditions: ReadonlyArray<[string, unknown]>): { sql: string; values: unknown[] } {
  const present = conditions.filter(([, value]) => value !== undefined);
  if (present.length === 0) return { sql: '', values: [] };
  return {
    sql: `WHERE ${present.map(([clause]) => clause).join(' AND ')}`,
    values: present.map(([, value]) => value),
  };
}

function statisticsConditions(filter: StatisticsFilter): Array<[string, unknown]> {
  return [
    ['recorded_at >= ?', filter.since === undefined ? undefined : normalizeTimestamp(filter.since, 'since')],
    ['recorded_at < ?', filter.until === undefined ? undefined : normalizeTimestamp(filter.until, 'until')],
    ['mode = ?', filter.mode],
    ['provider = ?', filter.provider],
    ['model = ?', filter.model],
  ];
}

function requireLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new UsageStoreError(`limit must be a non-negative integer, got ${String(limit)}.`);
  }
}

function migrate(database: Database.Database): void {
  const current = database.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new UsageStoreError(
      `Usage database schema version ${current} is newer than this tokenflow (${MIGRATIONS.length}); upgrade tokenflow or point TOKENFLOW_DATA_DIR elsewhere.`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version += 1) {
    const step = MIGRATIONS[version] ?? '';
    database.transaction(() => {
      database.exec(step);
      database.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/**
 * Opens (creating folder, file and schema as needed) the usage database at `file`; `:memory:` gives a
 * throw-away store for tests.
 */
export function openUsageStore(file: string, options: UsageStoreOptions = {}): UsageStore {
  const now = options.now ?? (() => new Date());
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new Database(file);
  try {
    // WAL lets the CLI read while a worker writes; the busy timeout covers two workers writing at once. It is
    // short because better-sqlite3 waits synchronously, stalling every activity of the worker (heartbeats
    // included); a database locked for longer fails the write, and Temporal retries it later.
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 1000');
    database.pragma('foreign_keys = ON');
    migrate(database);
  } catch (error) {
    database.close();
    throw error;
  }

  const insertUsage = database.prepare(`
    INSERT OR IGNORE INTO usage_records (
      call_id, workflow_id, run_id, ticker, agent, round, mode, provider, model, prompt_tokens,
      completion_tokens, cached_prompt_tokens, lost_tokens, usage_source, raw_words, words, word_limit,
      raw_compliant, truncated, predicted_tokens, max_tokens, cost_usd, latency_ms, attempts,
      calibration_version, recorded_at, finish_reason, local_prompt_tokens, local_completion_tokens
    ) VALUES (
      @callId, @workflowId, @runId, @ticker, @agent, @round, @mode, @provider, @model, @promptTokens,
      @completionTokens, @cachedPromptTokens, @lostTokens, @usageSource, @rawWords, @words, @wordLimit,
      @rawCompliant, @truncated, @predictedTokens, @maxTokens, @costUsd, @latencyMs, @attempts,
      @calibrationVersion, @recordedAt, @finishReason, @localPromptTokens, @localCompletionTokens
    )`);
  const insertAttempt = database.prepare(`
    INSERT OR IGNORE INTO usage_attempts (
      workflow_id, run_id, call_id, agent, round, attempt, outcome, prompt_tokens, completion_tokens, source,
      failure_type, recorded_at
    ) VALUES (
      @workflowId, @runId, @callId, @agent, @round, @attempt, @outcome, @promptTokens, @completionTokens, @source,
      @failureType, @recordedAt
    )`);
  const upsertRun = database.prepare(`
    INSERT INTO runs (
      workflow_id, run_id, ticker, date, mode, decision, total_tokens, prompt_tokens, completion_tokens,
      original_prompt_tokens, budget_tokens, cost_usd, budget_status, calibration_version, started_at, finished_at
    ) VALUES (
      @workflowId, @runId, @ticker, @date, @mode, @decision, @totalTokens, @promptTokens, @completionTokens,
      @originalPromptTokens, @budgetTokens, @costUsd, @budgetStatus, @calibrationVersion, @startedAt, @finishedAt
    )
    ON CONFLICT (workflow_id) DO UPDATE SET
      run_id = excluded.run_id, ticker = excluded.ticker, date = excluded.date, mode = excluded.mode,
      decision = excluded.decision, total_tokens = excluded.total_tokens, prompt_tokens = excluded.prompt_tokens,
      completion_tokens = excluded.completion_tokens, original_prompt_tokens = excluded.original_prompt_tokens,
      budget_tokens = excluded.budget_tokens, cost_usd = excluded.cost_usd, budget_status = excluded.budget_status,
      calibration_version = excluded.calibration_version, started_at = excluded.started_at,
      finished_at = excluded.finished_at`);
  const insertCalibration = database.prepare(
    'INSERT OR IGNORE INTO calibrations (version, created_at, reasons, agents, tokenizer_drift) VALUES (?, ?, ?, ?, ?)',
  );
  const setActive = database.prepare(
    'INSERT INTO active_calibration (singleton, version) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET version = excluded.version',
  );

  function selectUsageRows(conditions: Array<[string, unknown]>, extra = ''): UsageRow[] {
    const where = whereClause(conditions);
    return database
      .prepare(`SELECT * FROM usage_records ${where.sql} ${extra}`)
      .all(...where.values) as UsageRow[];
  }

  function agentStatisticsOf(conditions: Array<[string, unknown]>): AgentStatistics[] {
    const rows = selectUsageRows(conditions, 'ORDER BY id');
    const byAgent = new Map<AgentName, UsageRow[]>();
    for (const row of rows) {
      if (!isAgentName(row.agent)) continue;
      const list = byAgent.get(row.agent) ?? [];
      list.push(row);
      byAgent.set(row.agent, list);
    }
    return [...byAgent.entries()]
      .sort(([left], [right]) => AGENT_NAMES.indexOf(left) - AGENT_NAMES.indexOf(right))
      .map(([agent, agentRows]) => statisticsOf(agent, agentRows));
  }

  const writeUsage = database.transaction(
    (
      record: Omit<UsageRecord, 'attemptRecords'>,
      attempts: readonly AttemptRecord[],
      recordedAt: string,
    ): { inserted: boolean } => {
      const result = insertUsage.run({
        ...record,
        cachedPromptTokens: nullable(record.cachedPromptTokens),
        wordLimit: nullable(record.wordLimit),
        rawCompliant: booleanToInteger(record.rawCompliant),
        truncated: record.truncated ? 1 : 0,
        predictedTokens: nullable(record.predictedTokens),
        costUsd: nullable(record.costUsd),
        calibrationVersion: nullable(record.calibrationVersion),
        finishReason: nullable(record.finishReason),
        localPromptTokens: nullable(record.localPromptTokens),
        localCompletionTokens: nullable(record.localCompletionTokens),
        recordedAt,
      });
      if (result.changes !== 1) return { inserted: false };
      for (const attempt of attempts) {
        insertAttempt.run({
          workflowId: record.workflowId,
          runId: record.runId,
          callId: record.callId,
          agent: record.agent,
          round: record.round,
          attempt: attempt.attempt,
          outcome: attempt.outcome,
          promptTokens: attempt.promptTokens,
          completionTokens: attempt.completionTokens,
          source: attempt.source,
          failureType: nullable(attempt.failureType),
          recordedAt,
        });
      }
      return { inserted: true };
    },
  );

  function listUsageRecords(filter: UsageFilter): UsageRecord[] {
    requireLimit(filter.limit);
    const conditions: Array<[string, unknown]> = [
      ['workflow_id = ?', filter.workflowId],
      ['agent = ?', filter.agent],
      [
        'recorded_at >= ?',
        filter.since === undefined ? undefined : normalizeTimestamp(filter.since, 'since'),
      ],
    ];
    const rows =
      filter.limit === undefined
        ? selectUsageRows(conditions, 'ORDER BY recorded_at, id')
        : selectUsageRows(conditions, `ORDER BY recorded_at DESC, id DESC LIMIT ${filter.limit}`).reverse();
    return rows.map(rowToRecord);
  }

  const store: UsageStore = {
    file,

    recordUsage(record) {
      validateRecord(record);
      const recordedAt = normalizeTimestamp(record.recordedAt ?? now().toISOString(), 'recordedAt');
      const { attemptRecords, ...columns } = record;
      return writeUsage(columns, attemptRecords ?? [], recordedAt);
    },

    listAttempts(workflowId) {
      const rows = database
        .prepare('SELECT * FROM usage_attempts WHERE workflow_id = ? ORDER BY recorded_at, id')
        .all(workflowId) as AttemptRow[];
      return rows.map(rowToAttempt);
    },

    listUsage(filter = {}) {
      const records = listUsageRecords(filter);
      if (filter.workflowId === undefined) return records;
      const attempts = store.listAttempts(filter.workflowId);
      return records.map((record) => {
        const own = attempts
          .filter((entry) => entry.runId === record.runId && entry.callId === record.callId)
          .map(({ attempt, outcome, promptTokens, completionTokens, source, failureType }) => {
            const entry: AttemptRecord = { attempt, outcome, promptTokens, completionTokens, source };
            if (failureType !== undefined) entry.failureType = failureType;
            return entry;
          });
        return own.length > 0 ? { ...record, attemptRecords: own } : record;
      });
    },

    agentStatistics(filter = {}) {
      return agentStatisticsOf(statisticsConditions(filter));
    },

    completionHistory(agent, limit, filter = {}) {
      requireLimit(limit);
      const conditions: Array<[string, unknown]> = [
        ['agent = ?', agent],
        ...statisticsConditions(filter),
        ['truncated = ?', filter.excludeTruncated ? 0 : undefined],
      ];
      const where = whereClause(conditions);
      const rows = database
        .prepare(
          `SELECT completion_tokens FROM usage_records ${where.sql} ORDER BY recorded_at DESC, id DESC LIMIT ?`,
        )
        .all(...where.values, limit) as Array<{ completion_tokens: number }>;
      return rows.map((row) => row.completion_tokens).reverse();
    },

    dailyReport(day) {
      validateDay(day);
      const end = nextDay(day);
      const dayConditions: Array<[string, unknown]> = [
        ['recorded_at >= ?', day],
        ['recorded_at < ?', end],
      ];
      const rows = selectUsageRows(dayConditions, 'ORDER BY id');
      const finished = database
        .prepare('SELECT * FROM runs WHERE finished_at >= ? AND finished_at < ? ORDER BY finished_at')
        .all(day, end) as RunRow[];

      const spent = (row: UsageRow): number => row.prompt_tokens + row.completion_tokens + row.lost_tokens;
      const complianceKnown = rows.filter((row) => row.raw_compliant !== null);
      const costs = rows.filter((row) => row.cost_usd !== null);
      const byMode: Partial<Record<PipelineMode, DailyModeTotals>> = {};
      const workflowsByMode = new Map<string, Set<string>>();
      for (const row of rows) {
        const mode = row.mode as PipelineMode;
        const totals = byMode[mode] ?? { runs: 0, calls: 0, totalTokens: 0, costUsd: 0 };
        totals.calls += 1;
        totals.totalTokens += spent(row);
        totals.costUsd += row.cost_usd ?? 0;
        byMode[mode] = totals;
        const workflows = workflowsByMode.get(mode) ?? new Set<string>();
        workflows.add(row.workflow_id);
        workflowsByMode.set(mode, workflows);
      }
      for (const [mode, workflows] of workflowsByMode) {
        const totals = byMode[mode as PipelineMode];
        if (totals) totals.runs = workflows.size;
      }
      const countBy = (values: string[]): Record<string, number> => {
        const counts: Record<string, number> = {};
        for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
        return counts;
      };
      const reducible = finished.filter(
        (run) =>
          run.original_prompt_tokens !== null && run.original_prompt_tokens > 0 && run.prompt_tokens !== null,
      );
      const originalPrompt = reducible.reduce((sum, run) => sum + (run.original_prompt_tokens ?? 0), 0);
      const sentPrompt = reducible.reduce((sum, run) => sum + (run.prompt_tokens ?? 0), 0);

      const report: DailyReport = {
        day,
        runs: new Set(rows.map((row) => row.workflow_id)).size,
        finishedRuns: finished.length,
        calls: rows.length,
        promptTokens: rows.reduce((sum, row) => sum + row.prompt_tokens, 0),
        completionTokens: rows.reduce((sum, row) => sum + row.completion_tokens, 0),
        cachedPromptTokens: rows.reduce((sum, row) => sum + (row.cached_prompt_tokens ?? 0), 0),
        lostTokens: rows.reduce((sum, row) => sum + row.lost_tokens, 0),
        totalTokens: rows.reduce((sum, row) => sum + spent(row), 0),
        costUsd: costs.reduce((sum, row) => sum + (row.cost_usd ?? 0), 0),
        callsWithoutCost: rows.length - costs.length,
        byMode,
        budgetStatuses: countBy(finished.map((run) => run.budget_status)),
        decisions: countBy(finished.map((run) => run.decision ?? 'none')),
        finishReasons: countBy(
          rows.flatMap((row) => (row.finish_reason === null ? [] : [row.finish_reason])),
        ),
        perAgent: agentStatisticsOf(dayConditions),
      };
      if (complianceKnown.length > 0) {
        report.rawComplianceRate =
          complianceKnown.filter((row) => row.raw_compliant === 1).length / complianceKnown.length;
      }
      if (rows.length > 0)
        report.truncationRate = rows.filter((row) => row.truncated === 1).length / rows.length;
      if (originalPrompt > 0) report.promptReduction = 1 - sentPrompt / originalPrompt;
      return report;
    },

    recordRun(summary) {
      for (const field of ['workflowId', 'ticker', 'date', 'budgetStatus', 'startedAt'] as const) {
        if (typeof summary[field] !== 'string' || summary[field].length === 0) {
          throw new UsageStoreError(`Run summary field ${field} must be a non-empty string.`);
        }
      }
      requireNonNegativeInteger(summary.totalTokens, 'totalTokens');
      upsertRun.run({
        workflowId: summary.workflowId,
        runId: nullable(summary.runId),
        ticker: summary.ticker,
        date: summary.date,
        mode: summary.mode,
        decision: nullable(summary.decision),
        totalTokens: summary.totalTokens,
        promptTokens: nullable(summary.promptTokens),
        completionTokens: nullable(summary.completionTokens),
        originalPromptTokens: nullable(summary.originalPromptTokens),
        budgetTokens: nullable(summary.budgetTokens),
        costUsd: nullable(summary.costUsd),
        budgetStatus: summary.budgetStatus,
        calibrationVersion: nullable(summary.calibrationVersion),
        startedAt: normalizeTimestamp(summary.startedAt, 'startedAt'),
        finishedAt:
          summary.finishedAt === undefined ? null : normalizeTimestamp(summary.finishedAt, 'finishedAt'),
      });
    },

    listRuns(filter = {}) {
      requireLimit(filter.limit);
      const where = whereClause([
        ['ticker = ?', filter.ticker],
        ['mode = ?', filter.mode],
        [
          'started_at >= ?',
          filter.since === undefined ? undefined : normalizeTimestamp(filter.since, 'since'),
        ],
      ]);
      const limit = filter.limit === undefined ? '' : `LIMIT ${filter.limit}`;
      const rows = database
        .prepare(`SELECT * FROM runs ${where.sql} ORDER BY started_at DESC, rowid DESC ${limit}`)
        .all(...where.values) as RunRow[];
      return rows.map(rowToRun);
    },

    getRun(workflowId) {
      const row = database.prepare('SELECT * FROM runs WHERE workflow_id = ?').get(workflowId) as
        RunRow | undefined;
      return row ? rowToRun(row) : undefined;
    },

    saveCalibration(calibration) {
      if (typeof calibration.version !== 'string' || calibration.version.length === 0) {
        throw new UsageStoreError('Calibration version must be a non-empty string.');
      }
      const unknownAgents = Object.keys(calibration.agents).filter((agent) => !isAgentName(agent));
      if (unknownAgents.length > 0) {
        throw new UsageStoreError(
          `Calibration ${calibration.version} names unknown agents (${unknownAgents.join(', ')}); use names from src/core/agents.ts.`,
        );
      }
      database.transaction(() => {
        const result = insertCalibration.run(
          calibration.version,
          normalizeTimestamp(calibration.createdAt, 'createdAt'),
          JSON.stringify(calibration.reasons),
          JSON.stringify(calibration.agents),
          calibration.tokenizerDrift === undefined ? null : JSON.stringify(calibration.tokenizerDrift),
        );
        if (result.changes === 1) setActive.run(calibration.version);
      })();
    },

    activateCalibration(version) {
      const known = database.prepare('SELECT 1 FROM calibrations WHERE version = ?').get(version);
      if (!known) {
        throw new UsageStoreError(
          `Calibration version "${version}" does not exist; list versions with listCalibrations().`,
        );
      }
      setActive.run(version);
    },

    activeCalibration() {
      const row = database
        .prepare(
          'SELECT calibrations.* FROM active_calibration JOIN calibrations ON calibrations.version = active_calibration.version',
        )
        .get() as CalibrationRow | undefined;
      return row ? rowToCalibration(row) : undefined;
    },

    listCalibrations(limit = 20) {
      requireLimit(limit);
      const rows = database
        .prepare('SELECT * FROM calibrations ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as CalibrationRow[];
      return rows.map(rowToCalibration);
    },

    close() {
      if (database.open) database.close();
    },
  };
  return store;
}
