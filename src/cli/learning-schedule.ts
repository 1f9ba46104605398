import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config/schema';
import type { learningWorkflow } from '../workflows/learning-workflow';
import { upsertSchedule } from './upsert-schedule';

export const LEARNING_SCHEDULE_ID = 'tokenflow-learning';

/**
 * Creates the learning Schedule (hourly in development, daily in the production config: `learning.every`),
 * or updates its interval when it exists. Idempotent.
 */
export async function ensureLearningSchedule(
  client: Client,
  config: AppConfig,
): Promise<'created' | 'updated'> {
  return upsertSchedule(
    client,
    LEARNING_SCHEDULE_ID,
    { intervals: [{ every: config.learning.every as `${number}${'s' | 'm' | 'h' | 'd'}` }] },
    {
      type: 'startWorkflow',
      workflowType: 'learningWorkflow',
      taskQueue: config.temporal.taskQueue,
      args: [{ model: config.model }] as Parameters<typeof learningWorkflow>,
    },
  );
}
