import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { buildComparisonSettings } from '../../config/run-settings';
import { parseAnalysisArguments } from '../analysis-arguments';
import { createTokenflowWorkers } from '../../workers/worker';
import type { compareWorkflow } from '../../workflows/compare-workflow';
import { connectTemporal, createClient } from '../temporal-connection';

export const COMPARE_USAGE =
  'tokenflow compare <TICKER> --date YYYY-MM-DD [--budget N] [--debate-rounds N] [--risk-rounds N] [--json] [--no-worker] [--config FILE]';

/** `tokenflow compare <TICKER> --date D`: baseline and optimized runs on the same inputs, side by side. */
export async function compareCommand(argv: string[]): Promise<void> {
  const { config, request, budget, json, noWorker } = parseAnalysisArguments(argv, COMPARE_USAGE);
  const { optimized, baseline } = buildComparisonSettings(config, { budget });
  const { mode: _mode, ...sharedRequest } = request;
  const connection = await connectTemporal(config, { startDevServer: true });
  const client = createClient(connection, config);
  const workflowId = `compare-${request.ticker}-${request.date}-${randomUUID().slice(0, 8)}`;
  let workerConnection: NativeConnection | undefined;
  try {
    const run = () =>
      client.workflow.execute<typeof compareWorkflow>('compareWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ request: sharedRequest, optimized, baseline }],
      });
    let result;
    if (noWorker) result = await run();
    else {
      workerConnection = await NativeConnection.connect({ address: config.temporal.address });
      result = await (await createTokenflowWorkers({ config, connection: workerConnection })).runUntil(run);
    }
    if (json) process.stdout.write(`${readFileSync(result.reportJsonPath, 'utf8')}`);
    else {
      process.stdout.write(readFileSync(result.reportMarkdownPath, 'utf8'));
      process.stdout.write(`\nReports: ${result.reportMarkdownPath}\n         ${result.reportJsonPath}\n`);
    }
  } finally {
    await workerConnection?.close();
    await connection.close();
  }
}
