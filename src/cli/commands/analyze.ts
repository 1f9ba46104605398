import { randomUUID } from 'node:crypto';
import { buildRunSettings } from '../../config/run-settings';
import { parseAnalysisArguments } from '../analysis-arguments';
import type { AnalysisResult } from '../../core/run-types';
import type { analysisWorkflow } from '../../workflows/analysis-workflow';
import { progressQuery } from '../../workflows/definitions';
import { renderProgress, renderReport, workflowUiLink } from '../render-report';
import { withInProcessWorkers } from '../in-process-workers';
import { ensureSchedules } from '../schedules';
import { connectTemporal, createClient } from '../temporal-connection';

export const ANALYZE_USAGE =
  'tokenflow analyze <TICKER> --date YYYY-MM-DD [--budget N] [--debate-rounds N] [--risk-rounds N] [--mode optimized|baseline] [--pool NAME] [--on-exhausted degrade|pause] [--json] [--no-worker] [--data-folder DIR] [--config FILE]';

/** `tokenflow analyze`: starts one analysis run, follows it, prints the decision and the token report. */
export async function analyzeCommand(argv: string[]): Promise<void> {
  const {
    config,
    request,
    budget,
    json,
    noWorker,
    workflowId: requestedId,
    policy,
  } = parseAnalysisArguments(argv, ANALYZE_USAGE);
  const settings = buildRunSettings(config, { budget, ...policy });

  const connection = await connectTemporal(config, { startDevServer: true });
  const client = createClient(connection, config);
  await ensureSchedules(client, config);
  const workflowId = requestedId ?? `analysis-${request.ticker}-${request.date}-${randomUUID().slice(0, 8)}`;
  const link = workflowUiLink(config.temporal.uiUrl, config.temporal.namespace, workflowId);
  const live = process.stderr.isTTY && !json;

  const follow = async (): Promise<AnalysisResult> => {
    const handle = await client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ request, settings }],
    });
    if (!json) process.stderr.write(`Started ${workflowId}\n${link}\n`);
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

  try {
    const result = await withInProcessWorkers(config, noWorker, follow, (workers) => {
      if (workers.metricsUrl && !json) process.stderr.write(`Metrics on ${workers.metricsUrl}\n`);
    });
    if (json) process.stdout.write(`${JSON.stringify({ ...result, link }, null, 2)}\n`);
    else process.stdout.write(`${renderReport(result, link)}\n`);
  } finally {
    await connection.close();
  }
}
