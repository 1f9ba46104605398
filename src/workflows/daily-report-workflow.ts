import { ActivityFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DeliveryOutcome } from '../activities/alert-activities';
import type { ReportActivities, WrittenReport } from '../activities/report-activities';
import { alertProxies, deliverAlerts, type DeliveryResults } from './alert-steps';

export interface DailyReportInput {
  /** The UTC day to report, `YYYY-MM-DD`; absent (the Schedule), the day before the workflow started. */
  day?: string;
}

export interface DailyReportResult extends WrittenReport {
  alertDeliveries: DeliveryResults;
  summaryDelivery: DeliveryOutcome | 'failed';
}

/** The UTC day before `time` (milliseconds since the epoch). */
export function previousUtcDay(time: number): string {
  return new Date(time - 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

/**
 * The daily report, run by a Temporal Schedule (`reports.at`, UTC) for the day before: raises the day's alerts
 * and delivers those not delivered yet, writes the report (markdown and HTML, stored in the ledger), then sends
 * its summary to the webhook. Every step is an activity; the report itself never enters the history.
 */
export async function dailyReportWorkflow(input: DailyReportInput = {}): Promise<DailyReportResult> {
  const day = input.day ?? previousUtcDay(Date.now());
  const { writeDailyReport, deliverReportSummary } = proxyActivities<ReportActivities>({
    startToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 6 },
  });
  const alertDeliveries = await deliverAlerts(await alertProxies().raiseDayAlerts({ day }));
  const written = await writeDailyReport({ day, workflowId: workflowInfo().workflowId });
  let summaryDelivery: DailyReportResult['summaryDelivery'];
  try {
    summaryDelivery = await deliverReportSummary({ day });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    summaryDelivery = 'failed';
  }
  return { ...written, alertDeliveries, summaryDelivery };
}
