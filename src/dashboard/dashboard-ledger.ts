import type { UsageStore } from '../storage/usage-store';

/**
 * What the dashboard reads of the ledger: runs, their usage records (with their attempts), calibrations, per-day
 * totals, alerts and the stored daily reports. Every call is awaited, so the SQLite and PostgreSQL stores serve it
 * alike.
 */
export type DashboardLedger = Pick<
  UsageStore,
  | 'listRuns'
  | 'getRun'
  | 'listUsage'
  | 'listCalibrations'
  | 'activeCalibration'
  | 'dailyRunTotals'
  | 'listAlerts'
  | 'listReports'
  | 'getReport'
>;
