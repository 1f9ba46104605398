import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageRecord } from '../core/types';
import { makeRecord, withoutOptional } from './test-fixtures';
import { UsageStoreError } from './usage-store';
import { ledgerEngines, openTestStore } from './test-ledgers';

for (const { engine, skip } of ledgerEngines()) {
  describe(`recordUsage (${engine})`, { skip }, () => {
    test('a second write of the same callId is ignored and reports inserted: false', async () => {
      const store = await openTestStore(engine);
      const record = makeRecord({ callId: 'wf/market_analyst/0', completionTokens: 200 });
      assert.deepEqual(await store.recordUsage(record), { inserted: true });
      // A retried track activity may carry different numbers (e.g. a later clock); the first write wins.
      assert.deepEqual(
        await store.recordUsage({ ...record, completionTokens: 999, recordedAt: '2024-03-06T00:00:00.000Z' }),
        {
          inserted: false,
        },
      );
      const rows = await store.listUsage();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.completionTokens, 200);
      assert.equal(rows[0]?.recordedAt, '2024-03-05T10:00:00.000Z');
      await store.close();
    });

    test('records read back equal to what was written, with absent optional fields still absent', async () => {
      const store = await openTestStore(engine);
      const full = makeRecord({ truncated: true, rawCompliant: false });
      const sparse = withoutOptional(makeRecord({ agent: 'trader', recordedAt: '2024-03-05T11:00:00.000Z' }));
      await store.recordUsage(full);
      await store.recordUsage(sparse);
      assert.deepEqual(await store.listUsage(), [full, sparse]);
      await store.close();
    });

    test('stamps recordedAt from the clock when missing and normalises other time zones to UTC', async () => {
      const store = await openTestStore(engine, { now: () => new Date('2024-05-01T08:30:00Z') });
      const unstamped = makeRecord();
      delete unstamped.recordedAt;
      await store.recordUsage(unstamped);
      await store.recordUsage(makeRecord({ recordedAt: '2024-05-01T12:00:00+02:00' }));
      assert.deepEqual(
        (await store.listUsage()).map((record) => record.recordedAt),
        ['2024-05-01T08:30:00.000Z', '2024-05-01T10:00:00.000Z'],
      );
      await store.close();
    });

    test('refuses a record with an unknown agent, a negative count or a bad timestamp', async () => {
      const store = await openTestStore(engine);
      await assert.rejects(
        () => store.recordUsage(makeRecord({ agent: 'janitor' as UsageRecord['agent'] })),
        {
          name: 'UsageStoreError',
          message: /unknown agent "janitor"/,
        },
      );
      await assert.rejects(
        () => store.recordUsage(makeRecord({ completionTokens: -1 })),
        /completionTokens must be a non-negative integer/,
      );
      await assert.rejects(() => store.recordUsage(makeRecord({ recordedAt: 'yesterday' })), UsageStoreError);
      assert.equal((await store.listUsage()).length, 0);
      await store.close();
    });

    test('refuses an attempt with an unknown outcome, naming the field', async () => {
      const store = await openTestStore(engine);
      try {
        const bad = makeRecord({
          attemptRecords: [
            // @ts-expect-error: an outcome outside the vocabulary, as a buggy caller could send.
            { attempt: 1, outcome: 'exploded', promptTokens: 1, completionTokens: 1, source: 'server' },
          ],
        });
        await assert.rejects(() => store.recordUsage(bad), /attemptRecords\[0\]\.outcome must be one of/);
        assert.equal((await store.listUsage()).length, 0, 'nothing half-written');
      } finally {
        await store.close();
      }
    });
  });

  describe(`listUsage (${engine})`, { skip }, () => {
    test('filters by workflow, agent and time; a limit keeps the latest records, oldest first', async () => {
      const store = await openTestStore(engine);
      const times = [
        '2024-03-01T00:00:00.000Z',
        '2024-03-02T00:00:00.000Z',
        '2024-03-03T00:00:00.000Z',
        '2024-03-04T00:00:00.000Z',
      ];
      // Written out of time order on purpose: order must come from recordedAt, not insertion.
      for (const index of [2, 0, 3, 1]) {
        await store.recordUsage(
          makeRecord({
            recordedAt: times[index],
            workflowId: index < 2 ? 'wf-a' : 'wf-b',
            agent: index % 2 ? 'trader' : 'news_analyst',
          }),
        );
      }
      assert.deepEqual(
        (await store.listUsage()).map((record) => record.recordedAt),
        times,
      );
      assert.deepEqual(
        (await store.listUsage({ limit: 2 })).map((record) => record.recordedAt),
        times.slice(2),
      );
      assert.deepEqual(
        (await store.listUsage({ workflowId: 'wf-a' })).map((record) => record.recordedAt),
        times.slice(0, 2),
      );
      assert.deepEqual(
        (await store.listUsage({ agent: 'trader' })).map((record) => record.recordedAt),
        [times[1], times[3]],
      );
      assert.deepEqual(
        (await store.listUsage({ since: '2024-03-03' })).map((record) => record.recordedAt),
        times.slice(2),
      );
      await assert.rejects(() => store.listUsage({ limit: -1 }), /limit must be a non-negative integer/);
      await store.close();
    });
  });

  describe(`agentStatistics (${engine})`, { skip }, () => {
    test('computes means, medians, rates, MAPE and cost from known rows', async () => {
      const store = await openTestStore(engine);
      const market: Array<Partial<UsageRecord>> = [
        {
          promptTokens: 1000,
          completionTokens: 100,
          predictedTokens: 110,
          rawCompliant: true,
          truncated: false,
          costUsd: 0.001,
          lostTokens: 0,
          latencyMs: 100,
          words: 80,
        },
        {
          promptTokens: 1200,
          completionTokens: 200,
          predictedTokens: 180,
          rawCompliant: false,
          truncated: false,
          costUsd: 0.002,
          lostTokens: 50,
          latencyMs: 200,
          words: 160,
        },
        {
          promptTokens: 1100,
          completionTokens: 600,
          predictedTokens: 300,
          rawCompliant: undefined,
          truncated: true,
          costUsd: undefined,
          lostTokens: 0,
          latencyMs: 600,
          words: 300,
        },
      ];
      for (const overrides of market)
        await store.recordUsage(makeRecord({ agent: 'market_analyst', ...overrides }));
      // Trader: an even number of rows (median averages the middle two) and no predictions.
      for (const completionTokens of [40, 10, 30, 20]) {
        await store.recordUsage(
          withoutOptional(
            makeRecord({ agent: 'trader', completionTokens, promptTokens: completionTokens * 10 }),
          ),
        );
      }

      const statistics = await store.agentStatistics();
      assert.deepEqual(
        statistics.map((entry) => entry.agent),
        ['market_analyst', 'trader'],
      );
      const [marketStatistics, traderStatistics] = statistics;
      assert.ok(marketStatistics && traderStatistics);
      assert.equal(marketStatistics.calls, 3);
      assert.equal(marketStatistics.meanPromptTokens, 1100);
      assert.equal(marketStatistics.medianPromptTokens, 1100);
      assert.equal(marketStatistics.meanCompletionTokens, 300);
      assert.equal(marketStatistics.medianCompletionTokens, 200);
      assert.equal(marketStatistics.meanWords, (80 + 160 + 300) / 3);
      assert.equal(marketStatistics.rawComplianceRate, 0.5);
      assert.equal(marketStatistics.truncationRate, 1 / 3);
      assert.equal(marketStatistics.predictedCalls, 3);
      assert.ok(Math.abs((marketStatistics.meanPredictedTokens ?? 0) - 590 / 3) < 1e-9);
      assert.equal(marketStatistics.meanActualCompletionTokens, 300);
      // |110-100|/100 = 0.1, |180-200|/200 = 0.1, |300-600|/600 = 0.5
      assert.ok(Math.abs((marketStatistics.mape ?? 0) - 0.7 / 3) < 1e-12);
      assert.ok(Math.abs(marketStatistics.totalCostUsd - 0.003) < 1e-12);
      assert.equal(marketStatistics.callsWithoutCost, 1);
      assert.equal(marketStatistics.totalLostTokens, 50);
      assert.equal(marketStatistics.meanLatencyMs, 300);

      assert.equal(traderStatistics.calls, 4);
      assert.equal(traderStatistics.medianCompletionTokens, 25);
      assert.equal(traderStatistics.meanCompletionTokens, 25);
      assert.equal(traderStatistics.medianPromptTokens, 250);
      assert.equal(traderStatistics.rawComplianceRate, undefined);
      assert.equal(traderStatistics.mape, undefined);
      assert.equal(traderStatistics.predictedCalls, 0);
      assert.equal(traderStatistics.totalCostUsd, 0);
      assert.equal(traderStatistics.callsWithoutCost, 4);
      await store.close();
    });

    test('filters by mode, provider, model and time', async () => {
      const store = await openTestStore(engine);
      await store.recordUsage(
        makeRecord({ mode: 'baseline', completionTokens: 900, recordedAt: '2024-03-01T00:00:00.000Z' }),
      );
      await store.recordUsage(
        makeRecord({ mode: 'optimized', completionTokens: 100, recordedAt: '2024-03-02T00:00:00.000Z' }),
      );
      await store.recordUsage(
        makeRecord({
          mode: 'optimized',
          provider: 'local',
          model: 'smollm2',
          completionTokens: 50,
          recordedAt: '2024-03-03T00:00:00.000Z',
        }),
      );
      assert.equal((await store.agentStatistics({ mode: 'baseline' }))[0]?.meanCompletionTokens, 900);
      assert.equal((await store.agentStatistics({ mode: 'optimized' }))[0]?.meanCompletionTokens, 75);
      assert.equal((await store.agentStatistics({ provider: 'local' }))[0]?.meanCompletionTokens, 50);
      assert.equal((await store.agentStatistics({ model: 'gpt-4o-mini' }))[0]?.calls, 2);
      assert.equal((await store.agentStatistics({ since: '2024-03-02T00:00:00Z' }))[0]?.calls, 2);
      assert.equal((await store.agentStatistics({ until: '2024-03-02' }))[0]?.calls, 1);
      assert.deepEqual(await store.agentStatistics({ model: 'none' }), []);
      await store.close();
    });
  });

  describe(`completionHistory (${engine})`, { skip }, () => {
    test('returns the latest counts newest last, and can leave out truncated answers', async () => {
      const store = await openTestStore(engine);
      const counts = [120, 80, 400, 95, 110];
      for (const [index, completionTokens] of counts.entries()) {
        await store.recordUsage(
          makeRecord({
            agent: 'news_analyst',
            completionTokens,
            truncated: completionTokens === 400,
            recordedAt: `2024-03-0${index + 1}T00:00:00.000Z`,
          }),
        );
      }
      await store.recordUsage(makeRecord({ agent: 'trader', completionTokens: 7 }));
      assert.deepEqual(await store.completionHistory('news_analyst', 10), counts);
      assert.deepEqual(await store.completionHistory('news_analyst', 3), [400, 95, 110]);
      assert.deepEqual(
        await store.completionHistory('news_analyst', 3, { excludeTruncated: true }),
        [80, 95, 110],
      );
      assert.deepEqual(await store.completionHistory('news_analyst', 10, { mode: 'baseline' }), []);
      assert.deepEqual(await store.completionHistory('trader', 10), [7]);
      await store.close();
    });
  });
}
