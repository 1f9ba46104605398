import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config/schema';
import { ensureLearningSchedule } from './learning-schedule';
import { ensureReportSchedule } from './report-schedule';

/** Every Schedule tokenflow runs on: learning and the daily report. */
export async function ensureSchedules(client: Client, config: AppConfig): Promise<void> {
  await ensureLearningSchedule(client, config);
  await ensureReportSchedule(client, config);
}
