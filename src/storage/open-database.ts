import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { describeLedgerLocation, parseLedgerLocation } from './ledger-location';
import type { LedgerTables } from './ledger-tables';
import { MIGRATIONS, migrate } from './migrations';
import { migratePostgres } from './postgres-migrations';
import { SHARED_MIGRATIONS } from './shared-migrations';
import { UsageStoreError } from './usage-store-error';

/** An open, migrated ledger database and the engine behind it. */
export interface LedgerDatabase {
  database: Kysely<LedgerTables>;
  engine: 'sqlite' | 'postgres';
}

/** The schema version this tokenflow writes (SQLite's `user_version`, PostgreSQL's `tokenflow_schema`). */
export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length + SHARED_MIGRATIONS.length;

/**
 * Opens (creating folder, file or schema as needed) the ledger at `location`: a SQLite file (`:memory:` gives a
 * throw-away one for tests) or a `postgres://` URL.
 */
export async function openLedgerDatabase(location: string): Promise<LedgerDatabase> {
  const parsed = parseLedgerLocation(location);
  return parsed.engine === 'sqlite' ? openSqlite(parsed.file) : openPostgres(parsed.url);
}

async function openSqlite(file: string): Promise<LedgerDatabase> {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  try {
    // WAL lets the CLI read while a worker writes; the busy timeout covers two workers writing at once. It is
    // short because better-sqlite3 waits synchronously, stalling every activity of the worker (heartbeats
    // included); a database locked for longer fails the write, and Temporal retries it later.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 1000');
    sqlite.pragma('foreign_keys = ON');
    migrate(sqlite, LEDGER_SCHEMA_VERSION);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const database = new Kysely<LedgerTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    const current = sqlite.pragma('user_version', { simple: true }) as number;
    for (let version = Math.max(current, MIGRATIONS.length); version < LEDGER_SCHEMA_VERSION; version += 1) {
      const step = SHARED_MIGRATIONS[version - MIGRATIONS.length];
      await database.transaction().execute(async (transaction) => {
        if (step) await step(transaction);
        await sql.raw(`PRAGMA user_version = ${version + 1}`).execute(transaction);
      });
    }
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return { database, engine: 'sqlite' };
}

async function openPostgres(url: string): Promise<LedgerDatabase> {
  const pool = new Pool({ connectionString: url, max: 10 });
  // An idle connection the server drops (a restart) is discarded by the pool; the next query opens another and
  // fails or succeeds on its own. Without a listener the event would end the process.
  pool.on('error', () => undefined);
  const database = new Kysely<LedgerTables>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migratePostgres(database, SHARED_MIGRATIONS);
  } catch (error) {
    await database.destroy();
    if (error instanceof UsageStoreError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageStoreError(
      `Cannot open the PostgreSQL ledger at ${describeLedgerLocation(url)}: ${reason}. Check TOKENFLOW_DATABASE_URL and that the server is running.`,
    );
  }
  return { database, engine: 'postgres' };
}
