import type Database from 'better-sqlite3';
import { UsageStoreError } from './usage-store-error';

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

/**
 * Runs the SQLite migrations the database has not run yet. Each runs in a transaction with its `user_version`
 * bump, so a step that fails leaves the database at the version before it. `latest` is the schema version this
 * tokenflow knows (these plus the shared migrations): a database past it was written by a newer tokenflow.
 */
export function migrate(database: Database.Database, latest = MIGRATIONS.length): void {
  const current = database.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new UsageStoreError(
      `Usage database schema version ${current} is newer than this tokenflow (${latest}); upgrade tokenflow or point TOKENFLOW_DATA_DIR elsewhere.`,
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
