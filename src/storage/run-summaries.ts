import { sql, type Kysely, type Selectable } from 'kysely';
import type { PipelineMode } from '../core/types';
import {
  normalizeTimestamp,
  nullable,
  optionalNumber,
  optionalString,
  requireLimit,
  requireNonNegativeInteger,
} from './columns';
import type { LedgerTables, RunsTable } from './ledger-tables';
import { UsageStoreError } from './usage-store-error';

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

/** Filter of {@link RunSummaryStore.listRuns}. */
export interface RunFilter {
  ticker?: string;
  mode?: PipelineMode;
  /** BUY / HOLD / SELL. */
  decision?: string;
  budgetStatus?: string;
  /** Runs started at or after it (ISO timestamp or `YYYY-MM-DD`). */
  since?: string;
  limit?: number;
  /** Skip this many of the matching runs (paging). */
  offset?: number;
}

/** Filter of {@link RunSummaryStore.dailyRunTotals}: days of `startedAt`, `YYYY-MM-DD` or ISO timestamps. */
export interface DailyRunTotalsFilter {
  /** Runs started at or after it. */
  since?: string;
  /** Runs started before it (exclusive). */
  until?: string;
}

/** What the runs of one mode started on one UTC day spent. */
export interface DailyRunTotals {
  /** `YYYY-MM-DD` (UTC) of `startedAt`. */
  day: string;
  mode: PipelineMode;
  runs: number;
  totalTokens: number;
  /** Sum of the runs' costs; runs without a cost add nothing. */
  costUsd: number;
}

/** The run part of the usage store: one summary per workflow. */
export interface RunSummaryStore {
  /** Inserts or replaces the run's summary. */
  recordRun(summary: RunSummary): Promise<void>;
  /** Run summaries, newest start first. */
  listRuns(filter?: RunFilter): Promise<RunSummary[]>;
  /** One run's summary, if recorded. */
  getRun(workflowId: string): Promise<RunSummary | undefined>;
  /** Runs, tokens and cost per UTC day of start and mode, oldest day first. */
  dailyRunTotals(filter?: DailyRunTotalsFilter): Promise<DailyRunTotals[]>;
}

type RunRow = Selectable<RunsTable>;

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

/** Run summaries that finished in `[start, end)` (ISO timestamps or days), in the order they finished. */
export async function runsFinishedBetween(
  database: Kysely<LedgerTables>,
  start: string,
  end: string,
): Promise<RunSummary[]> {
  const rows = await database
    .selectFrom('runs')
    .selectAll()
    .where('finished_at', '>=', start)
    .where('finished_at', '<', end)
    .orderBy('finished_at')
    .execute();
  return rows.map(rowToRun);
}

function validateSummary(summary: RunSummary): void {
  for (const field of ['workflowId', 'ticker', 'date', 'budgetStatus', 'startedAt'] as const) {
    if (typeof summary[field] !== 'string' || summary[field].length === 0) {
      throw new UsageStoreError(`Run summary field ${field} must be a non-empty string.`);
    }
  }
  requireNonNegativeInteger(summary.totalTokens, 'totalTokens');
}

function summaryToRow(summary: RunSummary): RunRow {
  return {
    workflow_id: summary.workflowId,
    run_id: nullable(summary.runId),
    ticker: summary.ticker,
    date: summary.date,
    mode: summary.mode,
    decision: nullable(summary.decision),
    total_tokens: summary.totalTokens,
    prompt_tokens: nullable(summary.promptTokens),
    completion_tokens: nullable(summary.completionTokens),
    original_prompt_tokens: nullable(summary.originalPromptTokens),
    budget_tokens: nullable(summary.budgetTokens),
    cost_usd: nullable(summary.costUsd),
    budget_status: summary.budgetStatus,
    calibration_version: nullable(summary.calibrationVersion),
    started_at: normalizeTimestamp(summary.startedAt, 'startedAt'),
    finished_at:
      summary.finishedAt === undefined ? null : normalizeTimestamp(summary.finishedAt, 'finishedAt'),
  };
}

/** The run summaries of an open, migrated ledger. */
export function createRunSummaryStore(database: Kysely<LedgerTables>): RunSummaryStore {
  return {
    async recordRun(summary) {
      validateSummary(summary);
      const { workflow_id: workflowId, ...columns } = summaryToRow(summary);
      await database
        .insertInto('runs')
        .values({ workflow_id: workflowId, ...columns })
        .onConflict((conflict) => conflict.column('workflow_id').doUpdateSet(columns))
        .execute();
    },

    async listRuns(filter = {}) {
      requireLimit(filter.limit);
      requireLimit(filter.offset, 'offset');
      let query = database.selectFrom('runs').selectAll();
      if (filter.ticker !== undefined) query = query.where('ticker', '=', filter.ticker);
      if (filter.mode !== undefined) query = query.where('mode', '=', filter.mode);
      if (filter.decision !== undefined) query = query.where('decision', '=', filter.decision);
      if (filter.budgetStatus !== undefined) query = query.where('budget_status', '=', filter.budgetStatus);
      if (filter.since !== undefined) {
        query = query.where('started_at', '>=', normalizeTimestamp(filter.since, 'since'));
      }
      query = query.orderBy('started_at', 'desc').orderBy('workflow_id', 'desc');
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      if (filter.offset !== undefined) {
        // SQLite takes OFFSET only after a LIMIT.
        if (filter.limit === undefined) query = query.limit(Number.MAX_SAFE_INTEGER);
        query = query.offset(filter.offset);
      }
      return (await query.execute()).map(rowToRun);
    },

    async getRun(workflowId) {
      const row = await database
        .selectFrom('runs')
        .selectAll()
        .where('workflow_id', '=', workflowId)
        .executeTakeFirst();
      return row ? rowToRun(row) : undefined;
    },

    async dailyRunTotals(filter = {}) {
      const day = sql<string>`substr(started_at, 1, 10)`;
      let query = database
        .selectFrom('runs')
        .select([
          day.as('day'),
          'mode',
          (builder) => builder.fn.countAll().as('runs'),
          (builder) => builder.fn.sum<number>('total_tokens').as('total_tokens'),
          (builder) => builder.fn.sum<number | null>('cost_usd').as('cost_usd'),
        ]);
      if (filter.since !== undefined) {
        query = query.where('started_at', '>=', normalizeTimestamp(filter.since, 'since'));
      }
      if (filter.until !== undefined) {
        query = query.where('started_at', '<', normalizeTimestamp(filter.until, 'until'));
      }
      const rows = await query.groupBy([day, 'mode']).orderBy(day).orderBy('mode').execute();
      // PostgreSQL returns counts and integer sums as strings (they may pass 2^53); these never do.
      return rows.map((row) => ({
        day: row.day,
        mode: row.mode as PipelineMode,
        runs: Number(row.runs),
        totalTokens: Number(row.total_tokens),
        costUsd: Number(row.cost_usd ?? 0),
      }));
    },
  };
}
