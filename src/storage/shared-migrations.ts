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
  // Delivered alerts and the daily reports (issue 15). Text and real columns read the same on both engines.
  async (database) => {
    await database.schema
      .createTable('alerts')
      .ifNotExists()
      .addColumn('key', 'text', (column) => column.primaryKey())
      .addColumn('rule', 'text', (column) => column.notNull())
      .addColumn('day', 'text', (column) => column.notNull())
      .addColumn('workflow_id', 'text')
      .addColumn('agent', 'text')
      .addColumn('message', 'text', (column) => column.notNull())
      .addColumn('value', 'double precision', (column) => column.notNull())
      .addColumn('threshold', 'double precision', (column) => column.notNull())
      .addColumn('raised_at', 'text', (column) => column.notNull())
      .addColumn('delivered_at', 'text')
      .execute();
    await database.schema
      .createIndex('alerts_day_raised')
      .ifNotExists()
      .on('alerts')
      .columns(['day', 'raised_at'])
      .execute();
    await database.schema
      .createTable('reports')
      .ifNotExists()
      .addColumn('day', 'text', (column) => column.primaryKey())
      .addColumn('workflow_id', 'text')
      .addColumn('created_at', 'text', (column) => column.notNull())
      .addColumn('summary', 'text', (column) => column.notNull())
      .addColumn('markdown', 'text', (column) => column.notNull())
      .addColumn('html', 'text', (column) => column.notNull())
      .addColumn('summary_sent_at', 'text')
      .execute();
  },
];
