// The ledger's tables as the query builder sees them: one description for SQLite and PostgreSQL. Booleans are
// 0/1 integers and timestamps ISO text on both engines, so rows read the same whichever engine wrote them.
import type { Generated } from 'kysely';

export interface UsageRecordsTable {
  id: Generated<number>;
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

export interface UsageAttemptsTable {
  id: Generated<number>;
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

export interface RunsTable {
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

export interface CalibrationsTable {
  id: Generated<number>;
  version: string;
  created_at: string;
  reasons: string;
  agents: string;
  tokenizer_drift: string | null;
}

export interface ActiveCalibrationTable {
  singleton: number;
  version: string;
}

/** One alert per breach (its key); `delivered_at` is stamped once the webhook took it. */
export interface AlertsTable {
  key: string;
  rule: string;
  day: string;
  workflow_id: string | null;
  agent: string | null;
  message: string;
  value: number;
  threshold: number;
  raised_at: string;
  delivered_at: string | null;
}

/** One daily report per UTC day; `summary_sent_at` is stamped once the webhook took its summary. */
export interface ReportsTable {
  day: string;
  workflow_id: string | null;
  created_at: string;
  summary: string;
  markdown: string;
  html: string;
  summary_sent_at: string | null;
}

/** Every table of the ledger. */
export interface LedgerTables {
  usage_records: UsageRecordsTable;
  usage_attempts: UsageAttemptsTable;
  runs: RunsTable;
  calibrations: CalibrationsTable;
  active_calibration: ActiveCalibrationTable;
  alerts: AlertsTable;
  reports: ReportsTable;
}
