import {
  ScheduleAlreadyRunning,
  type Client,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';

/** Creates the Schedule, or updates its spec and action when it exists. Idempotent. */
export async function upsertSchedule(
  client: Client,
  scheduleId: string,
  spec: ScheduleSpec,
  action: ScheduleOptionsAction,
): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create({ scheduleId, spec, action });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}
