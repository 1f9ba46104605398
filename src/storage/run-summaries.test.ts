import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunSummary } from './usage-store';
import { ledgerEngines, openTestStore } from './test-ledgers';

for (const { engine, skip } of ledgerEngines()) {
  describe(`runs (${engine})`, { skip }, () => {
    test('recordRun upserts by workflowId and listRuns returns newest first with filters', async () => {
      const store = await openTestStore(engine);
      const base: RunSummary = {
        workflowId: 'wf-1',
        ticker: 'AAPL',
        date: '2024-03-01',
        mode: 'optimized',
        totalTokens: 100,
        budgetStatus: 'running',
        startedAt: '2024-03-05T00:00:00.000Z',
      };
      await store.recordRun(base);
      const finished: RunSummary = {
        ...base,
        totalTokens: 31000,
        costUsd: 0.12,
        decision: 'SELL',
        budgetStatus: 'within',
        calibrationVersion: 'cal-3',
        finishedAt: '2024-03-05T00:05:00.000Z',
      };
      await store.recordRun(finished);
      await store.recordRun({
        ...base,
        workflowId: 'wf-2',
        ticker: 'MSFT',
        mode: 'baseline',
        startedAt: '2024-03-06T00:00:00.000Z',
      });
      assert.deepEqual(await store.getRun('wf-1'), finished);
      assert.deepEqual(
        (await store.listRuns()).map((run) => run.workflowId),
        ['wf-2', 'wf-1'],
      );
      assert.deepEqual(await store.listRuns({ ticker: 'AAPL' }), [finished]);
      assert.deepEqual(
        (await store.listRuns({ mode: 'baseline' })).map((run) => run.workflowId),
        ['wf-2'],
      );
      assert.deepEqual(
        (await store.listRuns({ since: '2024-03-06' })).map((run) => run.workflowId),
        ['wf-2'],
      );
      assert.equal((await store.listRuns({ limit: 1 })).length, 1);
      assert.equal(await store.getRun('missing'), undefined);
      await store.close();
    });

    test('listRuns filters by decision and budget status and pages with offset; bad paging is refused', async () => {
      const store = await openTestStore(engine);
      try {
        const runs: RunSummary[] = ['BUY', 'SELL', 'BUY', undefined].map((decision, index) => ({
          workflowId: `wf-${index}`,
          ticker: 'AAPL',
          date: '2024-03-01',
          mode: 'optimized',
          totalTokens: 1000 * (index + 1),
          budgetStatus: decision === undefined ? 'exhausted' : 'within',
          startedAt: `2024-03-0${index + 1}T00:00:00.000Z`,
          ...(decision === undefined ? {} : { decision }),
        }));
        for (const run of runs) await store.recordRun(run);
        const ids = async (filter: Parameters<typeof store.listRuns>[0]) =>
          (await store.listRuns(filter)).map((run) => run.workflowId);
        assert.deepEqual(await ids({ decision: 'BUY' }), ['wf-2', 'wf-0']);
        assert.deepEqual(await ids({ budgetStatus: 'exhausted' }), ['wf-3']);
        assert.deepEqual(await ids({ limit: 2, offset: 1 }), ['wf-2', 'wf-1']);
        assert.deepEqual(await ids({ offset: 3 }), ['wf-0']);
        await assert.rejects(() => store.listRuns({ offset: -1 }), /offset must be a non-negative integer/);
        await assert.rejects(() => store.listRuns({ limit: 1.5 }), /limit must be a non-negative integer/);
      } finally {
        await store.close();
      }
    });

    test('dailyRunTotals sums runs, tokens and cost per UTC day of start and mode', async () => {
      const store = await openTestStore(engine);
      try {
        const run = (
          workflowId: string,
          startedAt: string,
          mode: RunSummary['mode'],
          totalTokens: number,
          costUsd?: number,
        ) =>
          store.recordRun({
            workflowId,
            ticker: 'SPX',
            date: '2020-04-17',
            mode,
            totalTokens,
            budgetStatus: 'within',
            startedAt,
            ...(costUsd === undefined ? {} : { costUsd }),
          });
        await run('a', '2024-03-05T00:00:00.000Z', 'optimized', 15000, 0.01);
        await run('b', '2024-03-05T23:59:59.999Z', 'optimized', 17000);
        await run('c', '2024-03-05T12:00:00.000Z', 'baseline', 80000, 0.05);
        await run('d', '2024-03-06T00:00:00.000Z', 'optimized', 16000, 0.02);
        await run('e', '2024-03-04T23:59:59.999Z', 'optimized', 99999, 9);
        assert.deepEqual(await store.dailyRunTotals({ since: '2024-03-05', until: '2024-03-07' }), [
          { day: '2024-03-05', mode: 'baseline', runs: 1, totalTokens: 80000, costUsd: 0.05 },
          { day: '2024-03-05', mode: 'optimized', runs: 2, totalTokens: 32000, costUsd: 0.01 },
          { day: '2024-03-06', mode: 'optimized', runs: 1, totalTokens: 16000, costUsd: 0.02 },
        ]);
        assert.equal((await store.dailyRunTotals()).length, 4);
      } finally {
        await store.close();
      }
    });
  });
}
