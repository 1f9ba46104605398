import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import {
  planBacktestDates,
  renderBacktestMarkdown,
  summarizeBacktest,
  type BacktestDate,
  type BacktestEntry,
  type BacktestEvery,
  type BacktestReport,
  type BacktestSummary,
} from '../core/backtest';
import { isDataError } from '../data/errors';
import type { BarFrequency } from '../data/price-window';
import type { MarketDataProvider } from '../data/provider';
import { normalizeTicker } from '../data/request';
import type { UsageStore } from '../storage/usage-store';

/** The failure type of a backtest that cannot be planned (bad range, too many dates). */
export const INVALID_BACKTEST = 'InvalidBacktest';

export interface BacktestActivityDependencies {
  provider: MarketDataProvider;
  store: UsageStore;
  /** Where `backtest-<id>.md` and `.json` are written. */
  reportsDirectory: string;
  now?: () => Date;
}

export interface PlanBacktestInput {
  ticker: string;
  from: string;
  to: string;
  every: BacktestEvery;
  maximumDates?: number;
}

export interface PlannedBacktest {
  ticker: string;
  frequency: BarFrequency;
  dates: BacktestDate[];
}

export interface WrittenBacktestReport {
  markdownPath: string;
  jsonPath: string;
  summary: BacktestSummary;
}

/**
 * A problem the user caused becomes a non-retryable failure: a data problem keeps its type (`UnknownTicker`,
 * `EmptyWindow`, ...), a plan that cannot be made is `InvalidBacktest`. Anything else (a read error) is rethrown
 * for Temporal's retry policy.
 */
function toFailure(error: unknown): unknown {
  if (isDataError(error)) return ApplicationFailure.nonRetryable(error.message, error.type);
  // Duck-typed on the name, as `isDataError` is: the class may come from another copy of the module.
  if (error instanceof Error && error.name === 'BacktestPlanError') {
    return ApplicationFailure.nonRetryable(error.message, INVALID_BACKTEST);
  }
  return error;
}

/**
 * A backtest id as a file name, `backtest-<id>` (an id that starts with `backtest-`, as the CLI's do, is not
 * prefixed twice): anything but letters, digits, `.`, `-` and `_` becomes `_`.
 */
function fileNameOf(backtestId: string): string {
  const safe = backtestId.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe.startsWith('backtest-') ? safe : `backtest-${safe}`;
}

/**
 * A failed child run's tokens never reach the backtest workflow, and a cancelled one may report fewer than it
 * spent; the ledger's run summary has what it wrote. The larger figure is kept: an estimate errs toward the bill.
 */
async function withLedgerTotals(store: UsageStore, entry: BacktestEntry): Promise<BacktestEntry> {
  if (entry.status !== 'failed' && entry.status !== 'cancelled') return entry;
  const run = await store.getRun(entry.workflowId);
  if (!run) return entry;
  if (run.totalTokens > entry.totalTokens) {
    // The entry's cost, if any, was for fewer tokens: the ledger's cost or none.
    const { costUsd: _entryCost, ...rest } = entry;
    return {
      ...rest,
      totalTokens: run.totalTokens,
      ...(run.costUsd === undefined ? {} : { costUsd: run.costUsd }),
    };
  }
  if (run.totalTokens === entry.totalTokens && entry.costUsd === undefined && run.costUsd !== undefined) {
    return { ...entry, costUsd: run.costUsd };
  }
  return entry;
}

/** Activities of a backtest: planning its dates from the price data, and writing its report. */
export function createBacktestActivities(dependencies: BacktestActivityDependencies) {
  const { provider, store, reportsDirectory } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  return {
    /**
     * The analysis dates of a backtest with each date's forward return (see `planBacktestDates`), from all the
     * ticker's bars. The ticker is upper-cased and checked as an analysis checks it.
     */
    async planBacktest(input: PlanBacktestInput): Promise<PlannedBacktest> {
      try {
        const history = await provider.priceHistory(normalizeTicker(input.ticker));
        const dates = planBacktestDates(history.bars, {
          from: input.from,
          to: input.to,
          every: input.every,
          ...(input.maximumDates === undefined ? {} : { maximumDates: input.maximumDates }),
        });
        return { ticker: history.ticker, frequency: history.frequency, dates };
      } catch (error) {
        throw toFailure(error);
      }
    },

    /**
     * Completes failed and cancelled runs' tokens and cost from the ledger, summarises, and writes
     * `<reportsDirectory>/backtest-<id>.md` and `.json` (the whole {@link BacktestReport}).
     */
    async writeBacktestReport(
      input: Omit<BacktestReport, 'generatedAt' | 'summary'>,
    ): Promise<WrittenBacktestReport> {
      const entries = await Promise.all(input.entries.map((entry) => withLedgerTotals(store, entry)));
      const summary = summarizeBacktest(entries);
      const report: BacktestReport = { ...input, entries, generatedAt: now().toISOString(), summary };
      await mkdir(reportsDirectory, { recursive: true });
      const base = path.join(reportsDirectory, fileNameOf(input.backtestId));
      const markdownPath = `${base}.md`;
      const jsonPath = `${base}.json`;
      await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(markdownPath, renderBacktestMarkdown(report));
      return { markdownPath, jsonPath, summary };
    },
  };
}

/** The activity functions, for `proxyActivities<BacktestActivities>()` in workflows (import as a type only). */
export type BacktestActivities = ReturnType<typeof createBacktestActivities>;
