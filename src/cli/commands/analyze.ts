import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/load-config';
import { buildAnalysisRequest, buildRunSettings } from '../../config/run-settings';
import type { AnalysisResult } from '../../core/run-types';
import type { analysisWorkflow } from '../../workflows/analysis-workflow';
import { progressQuery } from '../../workflows/definitions';
import { createTokenflowWorkers } from '../../workers/worker';
import { renderProgress, renderReport, workflowUiLink } from '../render-report';
import { ensureLearningSchedule } from '../learning-schedule';
import { connectTemporal, createClient } from '../temporal-connection';

export const ANALYZE_USAGE =
  'tokenflow analyze <TICKER> --date YYYY-MM-DD [--budget N] [--debate-rounds N] [--risk-rounds N] [--mode optimized|baseline] [--json] [--no-worker] [--data-folder DIR] [--config FILE]';

function integerFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new Error(`${flag} must be a whole number (got "${value}").`);
  return parsed;
}

/** `tokenflow analyze`: starts one analysis run, follows it, prints the decision and the token report. */
export async function analyzeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      date: { type: 'string' },
      budget: { type: 'string' },
      'debate-rounds': { type: 'string' },
      'risk-rounds': { type: 'string' },
      mode: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
      'data-folder': { type: 'string' },
      config: { type: 'string' },
      'workflow-id': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new Error(`Give exactly one ticker: ${ANALYZE_USAGE}`);
  const config = loadConfig({
    file: values.config,
    overrides: values['data-folder'] ? { dataSource: { kind: 'folder', folder: values['data-folder'] } } : undefined,
  });
  const request = buildAnalysisRequest({
    ticker: positionals[0],
    date: values.date,
    mode: values.mode,
    researchRounds: integerFlag(values['debate-rounds'], '--debate-rounds'),
    riskRounds: integerFlag(values['risk-rounds'], '--risk-rounds'),
    defaults: config.debate,
  });
  const budget = integerFlag(values.budget, '--budget');
  if (budget !== undefined && budget <= 0) throw new Error(`--budget must be a positive number of tokens (got ${budget}).`);
  const settings = buildRunSettings(config, { budget });

  const connection = await connectTemporal(config, { startDevServer: true });
  const client = createClient(connection, config);
  await ensureLearningSchedule(client, config);
  const workflowId = values['workflow-id'] ?? `analysis-${request.ticker}-${request.date}-${randomUUID().slice(0, 8)}`;
  const link = workflowUiLink(config.temporal.uiUrl, config.temporal.namespace, workflowId);
  const live = process.stderr.isTTY && !values.json;

  const follow = async (): Promise<AnalysisResult> => {
    const handle = await client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ request, settings }],
    });
    if (!values.json) process.stderr.write(`Started ${workflowId}\n${link}\n`);
    let timer: NodeJS.Timeout | undefined;
    if (live) {
      timer = setInterval(() => {
        handle
          .query(progressQuery)
          .then((progress) => process.stderr.write(`\r\x1b[2K${renderProgress(progress)}`))
          .catch(() => undefined);
      }, 500);
    }
    try {
      return await handle.result();
    } finally {
      if (timer) clearInterval(timer);
      if (live) process.stderr.write('\r\x1b[2K');
    }
  };

  let workerConnection: NativeConnection | undefined;
  try {
    let result: AnalysisResult;
    if (values['no-worker']) {
      result = await follow();
    } else {
      workerConnection = await NativeConnection.connect({ address: config.temporal.address });
      const workers = await createTokenflowWorkers({ config, connection: workerConnection });
      result = await workers.runUntil(follow);
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ ...result, link }, null, 2)}\n`);
    else process.stdout.write(`${renderReport(result, link)}\n`);
  } finally {
    await workerConnection?.close();
    await connection.close();
  }
}
