import { parseArgs } from 'node:util';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { loadConfig } from '../../config/load-config';
import { raiseBudgetUpdate } from '../../workflows/definitions';
import { connectTemporal, createClient } from '../temporal-connection';

export const BUDGET_USAGE = 'tokenflow budget <workflowId> --raise N [--json]';

/** A positive whole number of tokens from a flag, or one clear sentence. */
export function tokensFlag(value: string | undefined, flag: string): number {
  const tokens = Number(value);
  if (value === undefined || !Number.isInteger(tokens) || tokens <= 0)
    throw new Error(`${flag} must be a positive whole number of tokens (got "${value ?? ''}").`);
  return tokens;
}

/**
 * `tokenflow budget <workflowId> --raise N`: adds N tokens to a running analysis's hard cap (from its pool when it
 * draws on one); a run paused on its budget goes on.
 */
export async function budgetCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      raise: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const [workflowId] = positionals;
  if (!workflowId || positionals.length !== 1) throw new Error(`Give one run: ${BUDGET_USAGE}`);
  const tokens = tokensFlag(values.raise, '--raise');
  const config = loadConfig({ file: values.config });
  const connection = await connectTemporal(config, { startDevServer: false });
  try {
    const handle = createClient(connection, config).workflow.getHandle(workflowId);
    const budget = await handle
      .executeUpdate(raiseBudgetUpdate, { args: [{ tokens }] })
      .catch((error: unknown) => {
        if (error instanceof WorkflowUpdateFailedError)
          throw new Error(
            `The budget of ${workflowId} was not raised: ${error.cause?.message ?? error.message}`,
          );
        throw error;
      });
    process.stdout.write(
      values.json
        ? `${JSON.stringify(budget, null, 2)}\n`
        : `${workflowId}: hard cap ${budget.hardCap} tokens (${budget.spent} spent, ${budget.reserved} reserved, ${budget.remaining} free)\n`,
    );
  } finally {
    await connection.close();
  }
}
