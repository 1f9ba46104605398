import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import type { AppConfig } from '../config/schema';
import type { learningWorkflow } from '../workflows/learning-workflow';

export const LEARNING_SCHEDULE_ID = 'tokenflow-learning';

/**
 * Creates the learning Schedule (hourly in development, daily in the production config: `learning.every`),
 * or updates its interval when it exists. Idempotent.
 */
export async function ensureLearningSchedule(
  client: Client,
  config: AppConfig,
): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every: config.learning.every as `${number}${'s' | 'm' | 'h' | 'd'}` }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'learningWorkflow',
    taskQueue: config.temporal.taskQueue,
    args: [{ model: config.model }] as Parameters<typeof learningWorkflow>,
  };
  try {
    await client.schedule.create({ scheduleId: LEARNING_SCHEDULE_ID, spec, action });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(LEARNING_SCHEDULE_ID)
      .update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}
