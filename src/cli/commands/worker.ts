import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/load-config';
import { createTokenflowWorkers } from '../../workers/worker';

/** `tokenflow worker`: runs the workers of this process until SIGINT/SIGTERM. */
export async function workerCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const config = loadConfig({ file: values.config });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const workers = await createTokenflowWorkers({ config, connection, metrics: true });
    process.stderr.write(
      `tokenflow worker on ${config.temporal.address} (${config.temporal.namespace}), queue ${config.temporal.taskQueue}, provider ${config.provider} (${config.model})\n`,
    );
    if (workers.metricsUrl) process.stderr.write(`metrics on ${workers.metricsUrl}\n`);
    await workers.run();
  } finally {
    await connection.close();
  }
}
