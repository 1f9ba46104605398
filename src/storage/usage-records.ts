import type Database from 'better-sqlite3';
import type { AgentName } from '../core/agents';
import { normalizeUsageSource, type AttemptOutcome, type AttemptRecord } from '../core/ledger';
import type { PipelineMode, UsageRecord } from '../core/types';
import { agentStatisticsOf, type AgentStatistics } from '../core/usage-report';
import {
  booleanToInteger,
  normalizeTimestamp,
  nullable,
  optionalBoolean,
  optionalNumber,
  optionalString,
  requireLimit,
  whereClause,
} from './columns';
import { validateRecord } from './usage-record-validation';

/** Filter of {@link UsageRecordStore.listUsage}. */
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

/** Filter of {@link UsageRecordStore.agentStatistics} and {@link UsageRecordStore.completionHistory}. */
export interface StatisticsFilter {
  /** ISO timestamp or `YYYY-MM-DD` (UTC); records at or after it. */
  since?: string;
  /** Records before it (exclusive); lets a caller hold out the newest calls for evaluation. */
  until?: string;
  mode?: PipelineMode;
  provider?: string;
  model?: string;
}

/** Filter of {@link UsageRecordStore.completionHistory}. */
export interface CompletionHistoryFilter extends StatisticsFilter {
  /** Leave out calls whose answer was cut, since their length is not what the model wanted to write. */
  excludeTruncated?: boolean;
}

/** The usage-record part of the usage store: every model call and its attempts. */
export interface UsageRecordStore {
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
}

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

function statisticsConditions(filter: StatisticsFilter): Array<[string, unknown]> {
  return [
    ['recorded_at >= ?', filter.since === undefined ? undefined : normalizeTimestamp(filter.since, 'since')],
    ['recorded_at < ?', filter.until === undefined ? undefined : normalizeTimestamp(filter.until, 'until')],
    ['mode = ?', filter.mode],
    ['provider = ?', filter.provider],
    ['model = ?', filter.model],
  ];
}

function selectUsageRows(
  database: Database.Database,
  conditions: Array<[string, unknown]>,
  extra = '',
): UsageRow[] {
  const where = whereClause(conditions);
  return database
    .prepare(`SELECT * FROM usage_records ${where.sql} ${extra}`)
    .all(...where.values) as UsageRow[];
}

/** The calls recorded in `[start, end)` (ISO timestamps or days), in the order they were written. */
export function usageRecordsBetween(database: Database.Database, start: string, end: string): UsageRecord[] {
  const conditions: Array<[string, unknown]> = [
    ['recorded_at >= ?', start],
    ['recorded_at < ?', end],
  ];
  return selectUsageRows(database, conditions, 'ORDER BY id').map(rowToRecord);
}

/** The usage records and attempts of an open, migrated database; `now` stamps records saved without a time. */
export function createUsageRecordStore(database: Database.Database, now: () => Date): UsageRecordStore {
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
        ? selectUsageRows(database, conditions, 'ORDER BY recorded_at, id')
        : selectUsageRows(
            database,
            conditions,
            `ORDER BY recorded_at DESC, id DESC LIMIT ${filter.limit}`,
          ).reverse();
    return rows.map(rowToRecord);
  }

  const store: UsageRecordStore = {
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
      return agentStatisticsOf(
        selectUsageRows(database, statisticsConditions(filter), 'ORDER BY id').map(rowToRecord),
      );
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
  };
  return store;
}
