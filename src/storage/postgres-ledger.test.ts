// What only a shared PostgreSQL ledger has to get right: processes that open and migrate it at the same time,
// writers racing each other, and a server that is not there.
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { makeRecord } from './test-fixtures';
import { createTestDatabase, ledgerEngines } from './test-ledgers';
import { LEDGER_SCHEMA_VERSION, openUsageStore, type UsageStore } from './usage-store';

const postgres = ledgerEngines().find((entry) => entry.engine === 'postgres');

async function query<Row>(url: string, text: string): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Row[];
  } finally {
    await client.end();
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('a PostgreSQL ledger', { skip: postgres?.skip ?? 'no PostgreSQL engine' }, () => {
  test('processes opening a new database at once migrate it once', async () => {
    const database = await createTestDatabase();
    const stores: UsageStore[] = [];
    try {
      stores.push(...(await Promise.all([1, 2, 3, 4].map(() => openUsageStore(database.url)))));
      assert.deepEqual(await query(database.url, 'SELECT version FROM tokenflow_schema'), [
        { version: LEDGER_SCHEMA_VERSION },
      ]);
      assert.ok(stores.every((store) => store.engine === 'postgres'));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await database.drop();
    }
  });

  test('refuses a database written by a newer schema', async () => {
    const database = await createTestDatabase();
    try {
      await query(database.url, 'CREATE TABLE tokenflow_schema (version INTEGER NOT NULL)');
      await query(database.url, 'INSERT INTO tokenflow_schema (version) VALUES (99)');
      await assert.rejects(
        () => openUsageStore(database.url),
        /schema version 99 is newer than this tokenflow/,
      );
    } finally {
      await database.drop();
    }
  });

  test('two stores writing the same calls at once: every call once, every attempt once', async () => {
    const database = await createTestDatabase();
    const [first, second] = await Promise.all([openUsageStore(database.url), openUsageStore(database.url)]);
    try {
      const records = Array.from({ length: 50 }, (_, run) =>
        Array.from({ length: 6 }, (__, call) =>
          makeRecord({
            workflowId: `run-${run}`,
            callId: `run-${run}/call-${call}`,
            attemptRecords: [
              { attempt: 1, outcome: 'lost', promptTokens: 900, completionTokens: 40, source: 'estimated' },
              {
                attempt: 2,
                outcome: 'completed',
                promptTokens: 905,
                completionTokens: 120,
                source: 'server',
              },
            ],
          }),
        ),
      ).flat();
      // Each call is written by both stores (a retried activity on another worker), all at the same time.
      const results = await Promise.all(
        records.flatMap((record) => [first!.recordUsage(record), second!.recordUsage(record)]),
      );
      assert.equal(results.filter((result) => result.inserted).length, records.length);
      const [counts] = await query<{ calls: string; attempts: string }>(
        database.url,
        'SELECT (SELECT count(*) FROM usage_records) AS calls, (SELECT count(*) FROM usage_attempts) AS attempts',
      );
      assert.deepEqual(counts, { calls: String(records.length), attempts: String(records.length * 2) });
    } finally {
      await Promise.all([first!.close(), second!.close()]);
      await database.drop();
    }
  });

  test('a server that is not there: one sentence naming the ledger, and never its password', async () => {
    const url = `postgres://ledger-user:s3cret-passw0rd@127.0.0.1:${await closedPort()}/tokenflow`;
    await assert.rejects(
      () => openUsageStore(url),
      (error: Error) => {
        assert.match(
          error.message,
          /^Cannot open the PostgreSQL ledger at postgres:\/\/\[credentials\]@127\.0\.0\.1:\d+\/tokenflow: /,
        );
        assert.match(error.message, /TOKENFLOW_DATABASE_URL/);
        assert.doesNotMatch(error.message, /s3cret|ledger-user/);
        return true;
      },
    );
  });
});
