import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/load-config';
import { buildAnalysisRequest, buildComparisonSettings } from '../../config/run-settings';
import { createTokenflowWorkers } from '../../workers/worker';
import type { compareWorkflow } from '../../workflows/compare-workflow';
import { connectTemporal, createClient } from '../temporal-connection';

/** `tokenflow compare <TICKER> --date D`: baseline and optimized runs on the same inputs, side by side. */
export async function compareCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      date: { type: 'string' },
      budget: { type: 'string' },
      'debate-rounds': { type: 'string' },
      'risk-rounds': { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const config = loadConfig({ file: values.config });
  const request = buildAnalysisRequest({
    ticker: positionals[0],
    date: values.date,
    researchRounds: values['debate-rounds'] === undefined ? undefined : Number(values['debate-rounds']),
    riskRounds: values['risk-rounds'] === undefined ? undefined : Number(values['risk-rounds']),
    defaults: config.debate,
  });
  const budget = values.budget === undefined ? undefined : Number(values.budget);
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
    if (values['no-worker']) result = await run();
    else {
      workerConnection = await NativeConnection.connect({ address: config.temporal.address });
      result = await (await createTokenflowWorkers({ config, connection: workerConnection })).runUntil(run);
    }
    if (values.json) process.stdout.write(`${readFileSync(result.reportJsonPath, 'utf8')}`);
    else {
      process.stdout.write(readFileSync(result.reportMarkdownPath, 'utf8'));
      process.stdout.write(`\nReports: ${result.reportMarkdownPath}\n         ${result.reportJsonPath}\n`);
    }
  } finally {
    await workerConnection?.close();
    await connection.close();
  }
}
