import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { makeRecord } from './test-fixtures';
import { MIGRATIONS, openUsageStore } from './usage-store';

describe('openUsageStore on disk', () => {
  test('upgrades a database of the second schema in place: old calls kept, estimates named, keyed by run from then on', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-store-'));
    try {
      const file = path.join(folder, 'usage.db');
      // A database as tokenflow wrote it before the ledger kept attempts and runs apart.
      const raw = new Database(file);
      raw.exec(MIGRATIONS[0] ?? '');
      raw.exec(MIGRATIONS[1] ?? '');
      raw.pragma('user_version = 2');
      raw
        .prepare(
          `INSERT INTO usage_records (call_id, workflow_id, run_id, ticker, agent, round, mode, provider, model,
             prompt_tokens, completion_tokens, lost_tokens, usage_source, raw_words, words, truncated, max_tokens,
             latency_ms, attempts, recorded_at, finish_reason)
           VALUES ('wf/market_analyst/1', 'wf', 'run-1', 'AAPL', 'market_analyst', 1, 'optimized', 'openai',
             'gpt-4o-mini', 900, 100, 0, 'counted', 80, 80, 0, 300, 1000, 1, '2024-03-05T10:00:00.000Z', 'limit')`,
        )
        .run();
      raw.close();

      const upgraded = await openUsageStore(file);
      const [old] = await upgraded.listUsage();
      assert.equal(old?.callId, 'wf/market_analyst/1');
      assert.equal(old?.usageSource, 'estimated', 'what older records called counted is an estimate');
      assert.equal(old?.finishReason, 'limit');
      // The same call id in another run of the workflow (a reset, a reused id) is a call of its own.
      const again = makeRecord({
        callId: 'wf/market_analyst/1',
        workflowId: 'wf',
        runId: 'run-2',
        attemptRecords: [
          { attempt: 1, outcome: 'lost', promptTokens: 900, completionTokens: 40, source: 'estimated' },
          { attempt: 2, outcome: 'completed', promptTokens: 905, completionTokens: 120, source: 'server' },
        ],
      });
      assert.deepEqual(await upgraded.recordUsage(again), { inserted: true });
      assert.deepEqual(
        await upgraded.recordUsage(again),
        { inserted: false },
        'a retried write is still a no-op',
      );
      assert.deepEqual(
        (await upgraded.listUsage({ workflowId: 'wf' })).map((record) => [
          record.runId,
          record.attemptRecords?.length,
        ]),
        [
          ['run-1', undefined],
          ['run-2', 2],
        ],
      );
      assert.deepEqual(
        (await upgraded.listAttempts('wf')).map((entry) => [
          entry.runId,
          entry.attempt,
          entry.outcome,
          entry.source,
        ]),
        [
          ['run-2', 1, 'lost', 'estimated'],
          ['run-2', 2, 'completed', 'server'],
        ],
      );
      await upgraded.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('refuses a database written by a newer schema', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'tokenflow-store-'));
    try {
      const file = path.join(folder, 'usage.db');
      const raw = new Database(file);
      raw.pragma('user_version = 99');
      raw.close();
      await assert.rejects(() => openUsageStore(file), /schema version 99 is newer/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
