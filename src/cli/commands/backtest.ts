import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { BacktestResult, backtestWorkflow } from '../../workflows/backtest-workflow';
import { backtestProgressQuery, stopBacktestSignal } from '../../workflows/backtest-workflow';
import { loadConfig } from '../../config/load-config';
import { parseBacktestArguments } from '../backtest-arguments';
import { printReportFiles, withInProcessWorkers } from '../in-process-workers';
import { workflowUiLink } from '../render-report';
import { connectTemporal, createClient } from '../temporal-connection';

export { BACKTEST_USAGE } from '../backtest-arguments';

/** `tokenflow backtest <TICKER> --from D1 --to D2`: one analysis per date under one batch budget, and its report. */
export async function backtestCommand(argv: string[]): Promise<void> {
  if (argv[0] === '--stop') return stopBacktest(argv.slice(1));
  const { config, input, json, noWorker, workflowId: requestedId } = parseBacktestArguments(argv);
  const connection = await connectTemporal(config, { startDevServer: true });
  const client = createClient(connection, config);
  const workflowId =
    requestedId ?? `backtest-${input.ticker}-${input.from}-${input.to}-${randomUUID().slice(0, 8)}`;
  try {
    const handle = await client.workflow.start<typeof backtestWorkflow>('backtestWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ ...input, backtestId: workflowId }],
    });
    if (!json) {
      process.stderr.write(
        `Started ${workflowId}\n${workflowUiLink(config.temporal.uiUrl, config.temporal.namespace, workflowId)}\n`,
      );
    }
    const follow = async (): Promise<BacktestResult> => {
      const timer = json
        ? undefined
        : setInterval(() => {
            handle
              .query(backtestProgressQuery)
              .then((progress) =>
                process.stderr.write(
                  `backtest: ${progress.finished} of ${progress.planned} runs finished, ${progress.running} running, ${progress.spentTokens} tokens spent${progress.budgetTokens === undefined ? '' : ` of ${progress.budgetTokens}`}\n`,
                ),
              )
              .catch(() => undefined);
          }, 5000);
      try {
        return await handle.result();
      } finally {
        if (timer) clearInterval(timer);
      }
    };
    const result = await withInProcessWorkers(config, noWorker, follow);
    printReportFiles(json, result.markdownPath, result.jsonPath);
  } finally {
    await connection.close();
  }
}

/**
 * `tokenflow backtest --stop <workflowId> [--reason TEXT]`: the backtest starts no more runs; those in flight
 * finish, the dates not started are skipped with the reason, and its report is written as usual.
 */
async function stopBacktest(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { reason: { type: 'string' }, config: { type: 'string' } },
  });
  const [workflowId] = positionals;
  if (!workflowId || positionals.length !== 1) {
    throw new Error('Give the backtest to stop: tokenflow backtest --stop <workflowId> [--reason TEXT]');
  }
  const config = loadConfig({ file: values.config });
  const connection = await connectTemporal(config, { startDevServer: false });
  try {
    const reason = values.reason ?? 'stopped with tokenflow backtest --stop';
    await createClient(connection, config)
      .workflow.getHandle(workflowId)
      .signal(stopBacktestSignal, { reason });
    process.stdout.write(
      `Asked ${workflowId} to stop: its runs in flight finish, the dates not started are skipped, and its report is written.\n`,
    );
  } finally {
    await connection.close();
  }
}
