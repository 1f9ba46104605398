// The engines the ledger's tests run on: SQLite always, PostgreSQL when TOKENFLOW_TEST_POSTGRES_URL names a server
// (`npm test` starts one). Each test gets a ledger of its own: a `:memory:` SQLite database, or a new PostgreSQL
// database dropped when the store closes.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { openUsageStore, type UsageStore, type UsageStoreOptions } from './usage-store';

export type LedgerEngine = 'sqlite' | 'postgres';

/** The engines to test, each with the reason it is skipped (or false). */
export function ledgerEngines(): Array<{ engine: LedgerEngine; skip: string | false }> {
  return [
    { engine: 'sqlite', skip: false },
    {
      engine: 'postgres',
      skip: process.env.TOKENFLOW_TEST_POSTGRES_URL
        ? false
        : 'TOKENFLOW_TEST_POSTGRES_URL is not set (npm test starts a PostgreSQL server and sets it)',
    },
  ];
}

/** The admin URL of the test PostgreSQL server. */
export function testPostgresUrl(): string {
  const url = process.env.TOKENFLOW_TEST_POSTGRES_URL;
  if (!url) throw new Error('TOKENFLOW_TEST_POSTGRES_URL is not set; run the tests with npm test.');
  return url;
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database on the test server: its URL, and how to drop it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tokenflow_test_${randomUUID().replaceAll('-', '')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(testPostgresUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A fresh, empty ledger on `engine`; closing it also removes a PostgreSQL test database. */
export async function openTestStore(
  engine: LedgerEngine,
  options: UsageStoreOptions = {},
): Promise<UsageStore> {
  if (engine === 'sqlite') return openUsageStore(':memory:', options);
  const database = await createTestDatabase();
  const store = await openUsageStore(database.url, options);
  return {
    ...store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
