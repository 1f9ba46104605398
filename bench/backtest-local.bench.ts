import { backtestSection, runBacktestBench } from './backtest.bench';
import { positiveNumber, printSection } from './support/statistics';

/** `npm run bench -- backtest-local`: see bench/backtest.bench.ts. */
printSection(async () => {
  const minutes = positiveNumber('TOKENFLOW_BENCH_MINUTES', 30);
  const outcome = await runBacktestBench({
    provider: 'local',
    to: '2019-12-27',
    concurrency: 1,
    budgetTokens: 20_000_000,
    minutes,
  });
  return backtestSection(
    `Backtest on the embedded local model (as many weekly dates as fit in ${minutes} minutes, both modes)`,
    'npm run bench -- backtest-local',
    `Equivalent to \`tokenflow backtest SPX --from 2019-01-07 --to 2019-12-27 --every week --mode both --concurrency 1\` on SmolLM2-135M (the embedded model), stopped with the backtest's \`stopBacktest\` signal after ${minutes} minutes: the runs then in flight finish, the rest are skipped.`,
    outcome,
  );
});
