import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config/schema';
import type { dailyReportWorkflow } from '../workflows/daily-report-workflow';
import { upsertSchedule } from './upsert-schedule';

export const REPORT_SCHEDULE_ID = 'tokenflow-daily-report';

/** The daily report's Schedule: every day at `reports.at` (UTC), reporting the day before. */
export async function ensureReportSchedule(
  client: Client,
  config: AppConfig,
): Promise<'created' | 'updated'> {
  const [hour, minute] = config.reports.at.split(':').map(Number);
  return upsertSchedule(
    client,
    REPORT_SCHEDULE_ID,
    {
      calendars: [
        { hour: hour ?? 0, minute: minute ?? 0, comment: `daily report at ${config.reports.at} UTC` },
      ],
    },
    {
      type: 'startWorkflow',
      workflowType: 'dailyReportWorkflow',
      taskQueue: config.temporal.taskQueue,
      args: [{}] as Parameters<typeof dailyReportWorkflow>,
    },
  );
}
