import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeBacktest, type BacktestEntry } from './summary';
import { sampleBacktestEntries } from './test-entries';

describe('summarizeBacktest', () => {
  const summary = summarizeBacktest(sampleBacktestEntries());

  test('counts runs, decisions, hits and tokens per mode', () => {
    const optimized = summary.modes.optimized;
    assert.ok(optimized);
    assert.deepEqual(
      {
        ...optimized,
        interval: undefined,
        hitRate: undefined,
        costUsd: Number(optimized.costUsd.toFixed(9)),
      },
      {
        dates: 4,
        completed: 4,
        failed: 0,
        skipped: 0,
        decisions: { BUY: 1, SELL: 2, HOLD: 1 },
        // BUY before +2.54% hits, SELL before +2.88% misses, SELL before -0.22% hits; the HOLD is not scored.
        scored: 3,
        hits: 2,
        hitRate: undefined,
        interval: undefined,
        totalTokens: 161_000,
        costUsd: 0.036,
        tokensPerCompletedRun: 40_250,
      },
    );
    assert.equal(optimized.hitRate, 2 / 3);
    assert.ok(
      optimized.interval && Math.abs(optimized.interval.low - 0.2077) < 0.0005,
      JSON.stringify(optimized.interval),
    );
  });

  test('failed and skipped runs count in tokens but not in the per-run average', () => {
    const baseline = summary.modes.baseline;
    assert.ok(baseline);
    assert.deepEqual([baseline.dates, baseline.completed, baseline.failed, baseline.skipped], [4, 2, 1, 1]);
    assert.deepEqual(baseline.decisions, { BUY: 1, HOLD: 1 });
    assert.deepEqual([baseline.scored, baseline.hits, baseline.hitRate], [1, 1, 1]);
    assert.equal(baseline.totalTokens, 422_345);
    assert.equal(baseline.tokensPerCompletedRun, 205_000);
  });

  test('agreement is over the dates where both modes decided', () => {
    // 01-04 BUY/BUY, 01-11 SELL/HOLD; 01-18 and 01-25 have no baseline decision.
    assert.deepEqual(summary.agreement, { compared: 2, same: 1, rate: 0.5 });
  });

  test('one mode gives no agreement; no scored decision gives no hit rate', () => {
    const holds: BacktestEntry[] = [
      {
        date: '2019-01-04',
        mode: 'optimized',
        workflowId: 'a',
        status: 'completed',
        decision: 'HOLD',
        forwardReturn: 0.01,
        totalTokens: 10,
      },
      { date: '2019-01-11', mode: 'optimized', workflowId: 'b', status: 'cancelled', totalTokens: 5 },
    ];
    const only = summarizeBacktest(holds);
    assert.equal(only.agreement, undefined);
    assert.equal(only.modes.baseline, undefined);
    const optimized = only.modes.optimized;
    assert.ok(optimized);
    assert.deepEqual([optimized.scored, optimized.hitRate, optimized.interval], [0, undefined, undefined]);
    assert.deepEqual([optimized.dates, optimized.completed, optimized.tokensPerCompletedRun], [2, 1, 10]);
  });

  test('both modes without a common decision compare nothing', () => {
    const entries: BacktestEntry[] = [
      {
        date: '2019-01-04',
        mode: 'optimized',
        workflowId: 'a',
        status: 'completed',
        decision: 'BUY',
        totalTokens: 10,
      },
      { date: '2019-01-04', mode: 'baseline', workflowId: 'b', status: 'failed', totalTokens: 0 },
    ];
    assert.deepEqual(summarizeBacktest(entries).agreement, { compared: 0, same: 0 });
    assert.deepEqual(summarizeBacktest([]), { modes: {} });
  });
});
