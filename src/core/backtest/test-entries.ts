import type { BacktestEntry } from './summary';

/** Runs of a small backtest in both modes, for the summary and report tests. */
export function sampleBacktestEntries(): BacktestEntry[] {
  const run = (entry: Omit<BacktestEntry, 'workflowId'>): BacktestEntry => ({
    workflowId: `backtest-1-${entry.date}-${entry.mode}`,
    ...entry,
  });
  return [
    run({
      date: '2019-01-04',
      mode: 'optimized',
      status: 'completed',
      decision: 'BUY',
      forwardReturn: 0.0254,
      totalTokens: 40_000,
      costUsd: 0.012,
    }),
    run({
      date: '2019-01-04',
      mode: 'baseline',
      status: 'completed',
      decision: 'BUY',
      forwardReturn: 0.0254,
      totalTokens: 200_000,
      costUsd: 0.06,
    }),
    run({
      date: '2019-01-11',
      mode: 'optimized',
      status: 'completed',
      decision: 'SELL',
      forwardReturn: 0.0288,
      totalTokens: 42_000,
      costUsd: 0.013,
    }),
    run({
      date: '2019-01-11',
      mode: 'baseline',
      status: 'completed',
      decision: 'HOLD',
      forwardReturn: 0.0288,
      totalTokens: 210_000,
      costUsd: 0.063,
    }),
    run({
      date: '2019-01-18',
      mode: 'optimized',
      status: 'completed',
      decision: 'SELL',
      forwardReturn: -0.0022,
      totalTokens: 38_000,
      costUsd: 0.011,
    }),
    run({
      date: '2019-01-18',
      mode: 'baseline',
      status: 'failed',
      totalTokens: 12_345,
      forwardReturn: -0.0022,
      reason: 'Activity task failed: RateLimited | retries spent',
    }),
    run({
      date: '2019-01-25',
      mode: 'optimized',
      status: 'completed',
      decision: 'HOLD',
      totalTokens: 41_000,
    }),
    run({
      date: '2019-01-25',
      mode: 'baseline',
      status: 'skipped',
      totalTokens: 0,
      reason: 'the batch budget had 1000 tokens left, under the 20000 a run needs',
    }),
  ];
}
