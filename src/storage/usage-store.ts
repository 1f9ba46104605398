// The usage store (the ledger): model calls and their attempts (usage-records.ts), run summaries
// (run-summaries.ts) and calibration versions (calibrations.ts), in a SQLite file or a shared PostgreSQL
// database behind one query builder. This file opens it and composes the three.
import type { AgentCalibration, Calibration } from '../core/run-types';
import { dailyReportOf, type DailyReport } from '../core/usage-report';
import { createAlertStore, type AlertStore } from './alerts';
import { createCalibrationStore, type CalibrationStore } from './calibrations';
import { DAY_PATTERN } from './columns';
import { describeLedgerLocation } from './ledger-location';
import { openLedgerDatabase } from './open-database';
import { createReportStore, type ReportStore } from './reports';
export { LEDGER_SCHEMA_VERSION } from './open-database';
import {
  createRunSummaryStore,
  runsFinishedBetween,
  type RunSummary,
  type RunSummaryStore,
} from './run-summaries';
import {
  costBetween,
  createUsageRecordStore,
  usageRecordsBetween,
  type UsageRecordStore,
} from './usage-records';
import { UsageStoreError } from './usage-store-error';

export type { AgentCalibration, Calibration };
export type { AgentStatistics, DailyModeTotals, DailyReport } from '../core/usage-report';
export { MIGRATIONS } from './migrations';
export type { DailyRunTotals, DailyRunTotalsFilter, RunFilter, RunSummary } from './run-summaries';
export { describeLedgerLocation, ledgerLocationOf } from './ledger-location';
export type {
  AttemptLedgerEntry,
  CompletionHistoryFilter,
  StatisticsFilter,
  UsageFilter,
} from './usage-records';
export type { AlertFilter, RecordedAlert } from './alerts';
export type { StoredReport } from './reports';
export { UsageStoreError };

/** The ledger: usage records, run summaries, calibration versions, alerts and daily reports, on SQLite or PostgreSQL. */
export interface UsageStore
  extends UsageRecordStore, RunSummaryStore, CalibrationStore, AlertStore, ReportStore {
  /** Where the ledger lives, fit to show: a file path (`:memory:` for tests) or a URL without credentials. */
  readonly location: string;
  readonly engine: 'sqlite' | 'postgres';
  /** Totals of one UTC day (`YYYY-MM-DD`). */
  dailyReport(day: string): Promise<DailyReport>;
  /** The known cost of the calls recorded on one UTC day, summed in the database (no records are read). */
  dailyCost(day: string): Promise<number>;
  /** Summaries of the runs that finished on one UTC day, in finishing order. */
  runsFinishedOn(day: string): Promise<RunSummary[]>;
  close(): Promise<void>;
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
 * Opens (creating folder, file or schema as needed) the ledger at `location`: a SQLite file (`:memory:` gives a
 * throw-away store for tests) or a `postgres://` URL.
 */
export async function openUsageStore(location: string, options: UsageStoreOptions = {}): Promise<UsageStore> {
  const now = options.now ?? (() => new Date());
  const { database, engine } = await openLedgerDatabase(location);
  let closed = false;
  return {
    location: describeLedgerLocation(location),
    engine,
    ...createUsageRecordStore(database, now),
    ...createRunSummaryStore(database),
    ...createCalibrationStore(database),
    ...createAlertStore(database),
    ...createReportStore(database),

    async dailyReport(day) {
      validateDay(day);
      const end = nextDay(day);
      const [records, runs] = await Promise.all([
        usageRecordsBetween(database, day, end),
        runsFinishedBetween(database, day, end),
      ]);
      return dailyReportOf(day, records, runs);
    },

    async dailyCost(day) {
      validateDay(day);
      return costBetween(database, day, nextDay(day));
    },

    async runsFinishedOn(day) {
      validateDay(day);
      return runsFinishedBetween(database, day, nextDay(day));
    },

    async close() {
      if (closed) return;
      closed = true;
      await database.destroy();
    },
  };
}
