// The usage store: one SQLite database holding the ledger of model calls (usage-records.ts), run summaries
// (run-summaries.ts) and calibration versions (calibrations.ts). This file opens it and composes the three.
import type { AgentCalibration, Calibration } from '../core/run-types';
import { dailyReportOf, type DailyReport } from '../core/usage-report';
import { createCalibrationStore, type CalibrationStore } from './calibrations';
import { DAY_PATTERN } from './columns';
import { openDatabase } from './open-database';
import { createRunSummaryStore, runsFinishedBetween, type RunSummaryStore } from './run-summaries';
import { createUsageRecordStore, usageRecordsBetween, type UsageRecordStore } from './usage-records';
import { UsageStoreError } from './usage-store-error';

export type { AgentCalibration, Calibration };
export type { AgentStatistics, DailyModeTotals, DailyReport } from '../core/usage-report';
export { MIGRATIONS } from './migrations';
export type { RunFilter, RunSummary } from './run-summaries';
export type {
  AttemptLedgerEntry,
  CompletionHistoryFilter,
  StatisticsFilter,
  UsageFilter,
} from './usage-records';
export { UsageStoreError };

/** SQLite store of usage records, run summaries and calibration versions. */
export interface UsageStore extends UsageRecordStore, RunSummaryStore, CalibrationStore {
  /** Where the database lives (`:memory:` for tests). */
  readonly file: string;
  /** Totals of one UTC day (`YYYY-MM-DD`). */
  dailyReport(day: string): DailyReport;
  close(): void;
}

/** Options of {@link openUsageStore}. */
export interface UsageStoreOptions {
  /** Clock for records saved without `recordedAt`; defaults to the system clock. */
  now?: () => Date;
}

function validateDay(day: string): void {
  if (!DAY_PATTERN.test(day) || Number.isNaN(new Date(`${day}T00:00:00Z`).getTime())) {
    throw new UsageStoreError(`Day "${day}" is not a date; pass it as YYYY-MM-DD.`);
  }
}

function nextDay(day: string): string {
  const time = new Date(`${day}T00:00:00Z`);
  time.setUTCDate(time.getUTCDate() + 1);
  return time.toISOString().slice(0, 10);
}

/**
 * Opens (creating folder, file and schema as needed) the usage database at `file`; `:memory:` gives a
 * throw-away store for tests.
 */
export function openUsageStore(file: string, options: UsageStoreOptions = {}): UsageStore {
  const now = options.now ?? (() => new Date());
  const database = openDatabase(file);
  return {
    file,
    ...createUsageRecordStore(database, now),
    ...createRunSummaryStore(database),
    ...createCalibrationStore(database),

    dailyReport(day) {
      validateDay(day);
      const end = nextDay(day);
      return dailyReportOf(
        day,
        usageRecordsBetween(database, day, end),
        runsFinishedBetween(database, day, end),
      );
    },

    close() {
      if (database.open) database.close();
    },
  };
}
