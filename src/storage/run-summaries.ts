import type Database from 'better-sqlite3';
import type { PipelineMode } from '../core/types';
import {
  normalizeTimestamp,
  nullable,
  optionalNumber,
  optionalString,
  requireLimit,
  requireNonNegativeInteger,
  whereClause,
} from './columns';
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
  /** Runs started at or after it (ISO timestamp or `YYYY-MM-DD`). */
  since?: string;
  limit?: number;
}

/** The run part of the usage store: one summary per workflow. */
export interface RunSummaryStore {
  /** Inserts or replaces the run's summary. */
  recordRun(summary: RunSummary): void;
  /** Run summaries, newest start first. */
  listRuns(filter?: RunFilter): RunSummary[];
  /** One run's summary, if recorded. */
  getRun(workflowId: string): RunSummary | undefined;
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
export function runsFinishedBetween(database: Database.Database, start: string, end: string): RunSummary[] {
  const rows = database
    .prepare('SELECT * FROM runs WHERE finished_at >= ? AND finished_at < ? ORDER BY finished_at')
    .all(start, end) as RunRow[];
  return rows.map(rowToRun);
}

/** The run summaries of an open, migrated database. */
export function createRunSummaryStore(database: Database.Database): RunSummaryStore {
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

  return {
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
  };
}
