import { parseArgs } from 'node:util';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/common';
import { loadConfig } from '../../config/load-config';
import { poolDefinitionsOf } from '../../config/run-settings';
import type { AppConfig } from '../../config/schema';
import { poolWorkflowId, type PoolSummary } from '../../core/pool';
import type { budgetPoolWorkflow } from '../../workflows/budget-pool-workflow';
import { poolStatusQuery, raisePoolUpdate } from '../../workflows/pool-definitions';
import { workflowUiLink } from '../render-report';
import { connectTemporal, createClient } from '../temporal-connection';
import { tokensFlag } from './budget';

export const POOL_USAGE = 'tokenflow pool <name> [--raise N] [--json]';

/** A pool's period and tokens in a few lines. */
export function renderPool(summary: PoolSummary): string {
  const lines = [
    `pool ${summary.name}: ${summary.spent} spent + ${summary.reserved} reserved of ${summary.budget} tokens this ${summary.period} (${summary.available} available; ${summary.tokensPerPeriod} per ${summary.period})`,
    `period ${summary.periodStart} to ${summary.nextPeriodStart}`,
    `${summary.holders.length} run(s) holding tokens, ${summary.waiting.length} waiting`,
    ...summary.waiting.map(
      (waiter, index) =>
        `  ${index + 1}. ${waiter.holder} waits for ${waiter.tokens} tokens since ${waiter.since}`,
    ),
  ];
  return lines.join('\n');
}

/**
 * `tokenflow pool <name>`: the pool's period, spent, reserved and waiting runs; `--raise N` adds N tokens to the
 * current period (runs waiting in line that now fit are granted at once).
 */
export async function poolCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      raise: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const [name] = positionals;
  if (!name || positionals.length !== 1) throw new Error(`Give one pool: ${POOL_USAGE}`);
  const config = loadConfig({ file: values.config });
  const definition = poolDefinitionsOf(config)[name];
  if (!definition) {
    const known = Object.keys(config.pools);
    throw new Error(
      `No pool "${name}" in the config (${known.length > 0 ? `known: ${known.join(', ')}` : 'define one under pools'}).`,
    );
  }
  const raise = values.raise === undefined ? undefined : tokensFlag(values.raise, '--raise');
  const connection = await connectTemporal(config, { startDevServer: false });
  try {
    const client = createClient(connection, config);
    const summary =
      raise === undefined
        ? await poolStatus(client, name, config.temporal.taskQueue)
        : await raisePool(client, config, name, raise);
    const link = workflowUiLink(config.temporal.uiUrl, config.temporal.namespace, poolWorkflowId(name));
    if (values.json)
      process.stdout.write(`${JSON.stringify(summary ?? { name, started: false }, null, 2)}\n`);
    else if (!summary)
      process.stdout.write(
        `pool ${name}: not used yet (it starts with the first run that names it): ${definition.tokensPerPeriod} tokens per ${definition.period}\n`,
      );
    else process.stdout.write(`${renderPool(summary)}\n${link}\n`);
  } finally {
    await connection.close();
  }
}

/** Queries wait for a worker; without one the pool cannot answer, and the user should know why. */
const QUERY_TIMEOUT_MS = 10_000;

async function poolStatus(client: Client, name: string, taskQueue: string): Promise<PoolSummary | undefined> {
  const handle = client.workflow.getHandle(poolWorkflowId(name));
  try {
    await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  try {
    return await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(poolStatusQuery));
  } catch (error) {
    throw new Error(
      `Pool ${name} did not answer (${error instanceof Error ? error.message : String(error)}): its workflow runs on task queue ${taskQueue}; is a worker running there (tokenflow worker)?`,
    );
  }
}

async function raisePool(
  client: Client,
  config: AppConfig,
  name: string,
  tokens: number,
): Promise<PoolSummary> {
  const definition = poolDefinitionsOf(config)[name]!;
  try {
    return await client.workflow.executeUpdateWithStart(raisePoolUpdate, {
      args: [{ tokens }],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof budgetPoolWorkflow>(
        'budgetPoolWorkflow',
        {
          workflowId: poolWorkflowId(name),
          taskQueue: config.temporal.taskQueue,
          args: [{ definition }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        },
      ),
    });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError)
      throw new Error(`Pool ${name} was not raised: ${error.cause?.message ?? error.message}`);
    throw error;
  }
}
