import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/load-config';
import { buildAnalysisRequest, buildRunSettings } from '../../config/run-settings';
import { createTokenflowWorkers } from '../../workers/worker';
import type { compareWorkflow } from '../../workflows/compare-workflow';
import { connectTemporal, createClient } from '../temporal-connection';

/** Hard cap of the baseline side: the origin project measured 218,130 tokens per run, so it must not bind. */
export const BASELINE_HARD_CAP = 1_000_000;

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
  const optimized = buildRunSettings(config, { budget });
  // The origin project set no max_tokens; the baseline only keeps a response within the model's window.
  const baseline = buildRunSettings(config, {
    budget: BASELINE_HARD_CAP,
    maxResponseTokens: Math.min(4096, Math.floor(optimized.contextWindow / 2)),
    useCalibration: false,
  });
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
