import type { Kysely } from 'kysely';
import type { LedgerTables } from './ledger-tables';

/**
 * Schema migrations after the engines' starting points (SQLite's `MIGRATIONS`, PostgreSQL's baseline), written
 * once with the query builder for both engines and applied in order. Append, never edit: a ledger in use has
 * already run the earlier ones.
 */
export const SHARED_MIGRATIONS: ReadonlyArray<(database: Kysely<LedgerTables>) => Promise<void>> = [
  // The dashboard lists runs newest first, filtered by ticker or mode.
  async (database) => {
    await database.schema
      .createIndex('runs_ticker_started')
      .ifNotExists()
      .on('runs')
      .columns(['ticker', 'started_at'])
      .execute();
    await database.schema
      .createIndex('runs_mode_started')
      .ifNotExists()
      .on('runs')
      .columns(['mode', 'started_at'])
      .execute();
  },
];
