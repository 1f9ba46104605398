import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { startPoolOperation } from '../../activities/pool-activities';
import { poolDefinitionOf } from '../../config/run-settings';
import { poolWorkflowId, type PoolDefinition, type PoolSummary } from '../../core/pool';
import { poolStatusQuery, raisePoolUpdate } from '../../workflows/pool-definitions';
import { workflowUiLink } from '../render-report';
import { connectTemporal, createClient } from '../temporal-connection';
import { parseRaiseArguments } from '../raise-arguments';

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
  const { target: name, raise, json, config } = parseRaiseArguments(argv, 'pool', POOL_USAGE);
  const definition = poolDefinitionOf(config, name);
  const connection = await connectTemporal(config, { startDevServer: false });
  try {
    const client = createClient(connection, config);
    const summary =
      raise === undefined
        ? await poolStatus(client, name, config.temporal.taskQueue)
        : await raisePool(client, config.temporal.taskQueue, definition, raise);
    const link = workflowUiLink(config.temporal.uiUrl, config.temporal.namespace, poolWorkflowId(name));
    if (json) process.stdout.write(`${JSON.stringify(summary ?? { name, started: false }, null, 2)}\n`);
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
  taskQueue: string,
  definition: PoolDefinition,
  tokens: number,
): Promise<PoolSummary> {
  const { name } = definition;
  try {
    return await client.workflow.executeUpdateWithStart(raisePoolUpdate, {
      args: [{ tokens }],
      startWorkflowOperation: startPoolOperation(definition, taskQueue),
    });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError)
      throw new Error(`Pool ${name} was not raised: ${error.cause?.message ?? error.message}`);
    throw error;
  }
}
