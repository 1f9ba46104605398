import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
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
} from './columns';
import type { LedgerTables, UsageAttemptsTable, UsageRecordsTable } from './ledger-tables';
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
  recordUsage(record: UsageRecord): Promise<{ inserted: boolean }>;
  /** Usage records, oldest first; filtered by workflow, each carries its attempts. */
  listUsage(filter?: UsageFilter): Promise<UsageRecord[]>;
  /** Every attempt of every call of a workflow (all its runs), oldest first. */
  listAttempts(workflowId: string): Promise<AttemptLedgerEntry[]>;
  /** One entry per agent that has calls, in roster (pipeline) order. */
  agentStatistics(filter?: StatisticsFilter): Promise<AgentStatistics[]>;
  /** The agent's latest `limit` completion token counts, newest last. */
  completionHistory(agent: AgentName, limit: number, filter?: CompletionHistoryFilter): Promise<number[]>;
}

type UsageRow = Selectable<UsageRecordsTable>;

type AttemptRow = Selectable<UsageAttemptsTable>;

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

type UsageQuery = SelectQueryBuilder<LedgerTables, 'usage_records', UsageRow>;

function withStatisticsFilter<Query extends SelectQueryBuilder<LedgerTables, 'usage_records', object>>(
  query: Query,
  filter: StatisticsFilter,
): Query {
  let filtered = query;
  if (filter.since !== undefined) {
    filtered = filtered.where('recorded_at', '>=', normalizeTimestamp(filter.since, 'since')) as Query;
  }
  if (filter.until !== undefined) {
    filtered = filtered.where('recorded_at', '<', normalizeTimestamp(filter.until, 'until')) as Query;
  }
  if (filter.mode !== undefined) filtered = filtered.where('mode', '=', filter.mode) as Query;
  if (filter.provider !== undefined) filtered = filtered.where('provider', '=', filter.provider) as Query;
  if (filter.model !== undefined) filtered = filtered.where('model', '=', filter.model) as Query;
  return filtered;
}

function selectUsage(database: Kysely<LedgerTables>): UsageQuery {
  return database.selectFrom('usage_records').selectAll();
}

/** The calls recorded in `[start, end)` (ISO timestamps or days), in the order they were written. */
export async function usageRecordsBetween(
  database: Kysely<LedgerTables>,
  start: string,
  end: string,
): Promise<UsageRecord[]> {
  const rows = await selectUsage(database)
    .where('recorded_at', '>=', start)
    .where('recorded_at', '<', end)
    .orderBy('id')
    .execute();
  return rows.map(rowToRecord);
}

/** The known costs of the calls recorded in [start, end), summed by the database (USD). */
export async function costBetween(
  database: Kysely<LedgerTables>,
  start: string,
  end: string,
): Promise<number> {
  const row = await database
    .selectFrom('usage_records')
    .select((expression) => expression.fn.sum<number | string | null>('cost_usd').as('cost'))
    .where('recorded_at', '>=', start)
    .where('recorded_at', '<', end)
    .executeTakeFirst();
  return Number(row?.cost ?? 0);
}

/** The usage records and attempts of an open, migrated ledger; `now` stamps records saved without a time. */
export function createUsageRecordStore(database: Kysely<LedgerTables>, now: () => Date): UsageRecordStore {
  async function writeUsage(
    record: Omit<UsageRecord, 'attemptRecords'>,
    attempts: readonly AttemptRecord[],
    recordedAt: string,
  ): Promise<{ inserted: boolean }> {
    return database.transaction().execute(async (transaction) => {
      const result = await transaction
        .insertInto('usage_records')
        .values({
          call_id: record.callId,
          workflow_id: record.workflowId,
          run_id: record.runId,
          ticker: record.ticker,
          agent: record.agent,
          round: record.round,
          mode: record.mode,
          provider: record.provider,
          model: record.model,
          prompt_tokens: record.promptTokens,
          completion_tokens: record.completionTokens,
          cached_prompt_tokens: nullable(record.cachedPromptTokens),
          lost_tokens: record.lostTokens,
          usage_source: record.usageSource,
          raw_words: record.rawWords,
          words: record.words,
          word_limit: nullable(record.wordLimit),
          raw_compliant: booleanToInteger(record.rawCompliant),
          truncated: record.truncated ? 1 : 0,
          predicted_tokens: nullable(record.predictedTokens),
          max_tokens: record.maxTokens,
          cost_usd: nullable(record.costUsd),
          latency_ms: record.latencyMs,
          attempts: record.attempts,
          calibration_version: nullable(record.calibrationVersion),
          recorded_at: recordedAt,
          finish_reason: nullable(record.finishReason),
          local_prompt_tokens: nullable(record.localPromptTokens),
          local_completion_tokens: nullable(record.localCompletionTokens),
        })
        .onConflict((conflict) => conflict.columns(['workflow_id', 'run_id', 'call_id']).doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) !== 1) return { inserted: false };
      if (attempts.length > 0) {
        await transaction
          .insertInto('usage_attempts')
          .values(
            attempts.map((attempt) => ({
              workflow_id: record.workflowId,
              run_id: record.runId,
              call_id: record.callId,
              agent: record.agent,
              round: record.round,
              attempt: attempt.attempt,
              outcome: attempt.outcome,
              prompt_tokens: attempt.promptTokens,
              completion_tokens: attempt.completionTokens,
              source: attempt.source,
              failure_type: nullable(attempt.failureType),
              recorded_at: recordedAt,
            })),
          )
          .onConflict((conflict) =>
            conflict.columns(['workflow_id', 'run_id', 'call_id', 'attempt']).doNothing(),
          )
          .execute();
      }
      return { inserted: true };
    });
  }

  async function listUsageRecords(filter: UsageFilter): Promise<UsageRecord[]> {
    requireLimit(filter.limit);
    let query = selectUsage(database);
    if (filter.workflowId !== undefined) query = query.where('workflow_id', '=', filter.workflowId);
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    if (filter.since !== undefined) {
      query = query.where('recorded_at', '>=', normalizeTimestamp(filter.since, 'since'));
    }
    const rows =
      filter.limit === undefined
        ? await query.orderBy('recorded_at').orderBy('id').execute()
        : (
            await query.orderBy('recorded_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()
          ).reverse();
    return rows.map(rowToRecord);
  }

  const store: UsageRecordStore = {
    async recordUsage(record) {
      validateRecord(record);
      const recordedAt = normalizeTimestamp(record.recordedAt ?? now().toISOString(), 'recordedAt');
      const { attemptRecords, ...columns } = record;
      return writeUsage(columns, attemptRecords ?? [], recordedAt);
    },

    async listAttempts(workflowId) {
      const rows = await database
        .selectFrom('usage_attempts')
        .selectAll()
        .where('workflow_id', '=', workflowId)
        .orderBy('recorded_at')
        .orderBy('id')
        .execute();
      return rows.map(rowToAttempt);
    },

    async listUsage(filter = {}) {
      const records = await listUsageRecords(filter);
      if (filter.workflowId === undefined) return records;
      const attempts = await store.listAttempts(filter.workflowId);
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

    async agentStatistics(filter = {}) {
      const rows = await withStatisticsFilter(selectUsage(database), filter).orderBy('id').execute();
      return agentStatisticsOf(rows.map(rowToRecord));
    },

    async completionHistory(agent, limit, filter = {}) {
      requireLimit(limit);
      let query = withStatisticsFilter(
        database.selectFrom('usage_records').select('completion_tokens').where('agent', '=', agent),
        filter,
      );
      if (filter.excludeTruncated) query = query.where('truncated', '=', 0);
      const rows = await query.orderBy('recorded_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => row.completion_tokens).reverse();
    },
  };
  return store;
}
