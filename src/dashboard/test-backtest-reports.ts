// Backtest reports for the dashboard's tests, written by the workers' own activity so the pages read what a
// real backtest leaves behind.
import path from 'node:path';
import { createBacktestActivities } from '../activities/backtest-activities';
import { sampleBacktestEntries } from '../core/backtest/test-entries';
import { createSampleProvider } from '../data/sample-provider';
import { openUsageStore } from '../storage/usage-store';

/** The backtest of {@link sampleBacktestEntries}: SPX weekly in January 2019, both modes. */
export const SAMPLE_BACKTEST_ID = 'backtest-1';

/**
 * Writes `backtest-<id>.json` (and `.md`) of {@link sampleBacktestEntries} into `reportsDirectory` with
 * `writeBacktestReport`, and returns the dashboard's id of it (the file name without `.json`).
 */
export async function writeSampleBacktestReport(
  reportsDirectory: string,
  options: { backtestId?: string; ticker?: string; generatedAt?: string } = {},
): Promise<string> {
  // The writer asks the ledger about failed runs only; an empty one leaves their figures as they are.
  const store = await openUsageStore(':memory:');
  try {
    const activities = createBacktestActivities({
      provider: createSampleProvider(),
      store,
      reportsDirectory,
      now: () => new Date(options.generatedAt ?? '2026-03-02T09:00:00.000Z'),
    });
    const written = await activities.writeBacktestReport({
      backtestId: options.backtestId ?? SAMPLE_BACKTEST_ID,
      ticker: options.ticker ?? 'SPX',
      from: '2019-01-04',
      to: '2019-01-25',
      every: 'week',
      budgetTokens: 1_000_000,
      entries: sampleBacktestEntries(),
    });
    return path.basename(written.jsonPath, '.json');
  } finally {
    await store.close();
  }
}
