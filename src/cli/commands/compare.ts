import { randomUUID } from 'node:crypto';
import { buildComparisonSettings } from '../../config/run-settings';
import { parseAnalysisArguments } from '../analysis-arguments';
import { printReportFiles, withInProcessWorkers } from '../in-process-workers';
import type { compareWorkflow } from '../../workflows/compare-workflow';
import { connectTemporal, createClient } from '../temporal-connection';

export const COMPARE_USAGE =
  'tokenflow compare <TICKER> --date YYYY-MM-DD [--budget N] [--debate-rounds N] [--risk-rounds N] [--json] [--no-worker] [--config FILE]';

/** `tokenflow compare <TICKER> --date D`: baseline and optimized runs on the same inputs, side by side. */
export async function compareCommand(argv: string[]): Promise<void> {
  // Its arguments are analyze's, but an A/B runs both sides on budgets of their own, outside any pool.
  const poolFlag = argv.find((argument) => /^--(pool|on-exhausted)(=|$)/.test(argument));
  if (poolFlag !== undefined)
    throw new Error(
      `compare runs both modes on budgets of their own: ${poolFlag.split('=')[0]} is for analyze and backtest.`,
    );
  const { config, request, budget, json, noWorker } = parseAnalysisArguments(argv, COMPARE_USAGE);
  const { optimized, baseline } = buildComparisonSettings(config, { budget });
  const { mode: _mode, ...sharedRequest } = request;
  const connection = await connectTemporal(config, { startDevServer: true });
  const client = createClient(connection, config);
  const workflowId = `compare-${request.ticker}-${request.date}-${randomUUID().slice(0, 8)}`;
  try {
    const run = () =>
      client.workflow.execute<typeof compareWorkflow>('compareWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ request: sharedRequest, optimized, baseline }],
      });
    const result = await withInProcessWorkers(config, noWorker, run);
    printReportFiles(json, result.reportMarkdownPath, result.reportJsonPath);
  } finally {
    await connection.close();
  }
}
