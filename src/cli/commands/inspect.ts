import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config';
import type { AnalysisResult } from '../../core/run-types';
import { budgetQuery, progressQuery, usageQuery } from '../../workflows/definitions';
import { ledgerLocationOf, openUsageStore } from '../../storage/usage-store';
import { renderLedger, type LedgerCall } from '../render-ledger';
import { renderProgress, renderReport, workflowUiLink } from '../render-report';
import { connectTemporal, createClient } from '../temporal-connection';

function parseWorkflowArgs(argv: string[], command: string) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, config: { type: 'string' } },
  });
  if (positionals.length !== 1 || !positionals[0])
    throw new Error(`Usage: tokenflow ${command} <workflowId> [--json]`);
  return { workflowId: positionals[0], json: values.json, config: loadConfig({ file: values.config }) };
}

/** `tokenflow status|result|usage <workflowId>`: reads a run through its queries or its result. */
export async function inspectCommand(command: 'status' | 'result' | 'usage', argv: string[]): Promise<void> {
  const { workflowId, json, config } = parseWorkflowArgs(argv, command);
  const connection = await connectTemporal(config, { startDevServer: false });
  try {
    const handle = createClient(connection, config).workflow.getHandle(workflowId);
    const description = await handle.describe();
    const link = workflowUiLink(config.temporal.uiUrl, config.temporal.namespace, workflowId);
    const running = description.status.name === 'RUNNING';
    if (command === 'result') {
      if (running)
        throw new Error(`Run ${workflowId} is still running; try "tokenflow status ${workflowId}".`);
      const result = (await handle.result()) as AnalysisResult;
      process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${renderReport(result, link)}\n`);
      return;
    }
    if (command === 'status') {
      if (!running) {
        process.stdout.write(
          json
            ? `${JSON.stringify({ status: description.status.name })}\n`
            : `${workflowId}: ${description.status.name}\n${link}\n`,
        );
        return;
      }
      const [progress, budget] = await Promise.all([handle.query(progressQuery), handle.query(budgetQuery)]);
      process.stdout.write(
        json
          ? `${JSON.stringify({ progress, budget }, null, 2)}\n`
          : `${renderProgress(progress)}\n${link}\n`,
      );
      return;
    }
    let calls: LedgerCall[];
    if (running) calls = await handle.query(usageQuery);
    else {
      const store = await openUsageStore(ledgerLocationOf(config));
      try {
        calls = await store.listUsage({ workflowId });
      } finally {
        await store.close();
      }
    }
    process.stdout.write(
      json ? `${JSON.stringify(calls, null, 2)}\n` : `${renderLedger(workflowId, calls)}\n${link}\n`,
    );
  } finally {
    await connection.close();
  }
}
