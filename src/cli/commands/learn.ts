import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/load-config';
import { createTokenflowWorkers } from '../../workers/worker';
import type { learningWorkflow } from '../../workflows/learning-workflow';
import { ensureLearningSchedule, LEARNING_SCHEDULE_ID } from '../learning-schedule';
import { connectTemporal, createClient } from '../temporal-connection';

/**
 * `tokenflow learn`: runs the learning workflow now (a manual trigger) and prints the new calibration;
 * `tokenflow learn --schedule` only creates or updates the Schedule.
 */
export async function learnCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      schedule: { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const config = loadConfig({ file: values.config });
  const connection = await connectTemporal(config, { startDevServer: true });
  const client = createClient(connection, config);
  let workerConnection: NativeConnection | undefined;
  try {
    const outcome = await ensureLearningSchedule(client, config);
    if (values.schedule) {
      process.stdout.write(`Schedule ${LEARNING_SCHEDULE_ID} ${outcome}: every ${config.learning.every}\n`);
      return;
    }
    const run = () =>
      client.workflow.execute<typeof learningWorkflow>('learningWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `learning-manual-${Date.now()}`,
        args: [{ model: config.model }],
      });
    let result;
    if (values['no-worker']) result = await run();
    else {
      workerConnection = await NativeConnection.connect({ address: config.temporal.address });
      result = await (await createTokenflowWorkers({ config, connection: workerConnection })).runUntil(run);
    }
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(`Calibration ${result.version}: ${result.agentsCalibrated} agent(s) calibrated\n`);
      for (const reason of result.reasons) process.stdout.write(`  - ${reason}\n`);
    }
  } finally {
    await workerConnection?.close();
    await connection.close();
  }
}
