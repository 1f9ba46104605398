import { WorkflowUpdateFailedError } from '@temporalio/client';
import { raiseBudgetUpdate } from '../../workflows/definitions';
import { parseRaiseArguments, tokensFlag } from '../raise-arguments';
import { connectTemporal, createClient } from '../temporal-connection';

export const BUDGET_USAGE = 'tokenflow budget <workflowId> --raise N [--json]';

/**
 * `tokenflow budget <workflowId> --raise N`: adds N tokens to a running analysis's hard cap (from its pool when it
 * draws on one); a run paused on its budget goes on.
 */
export async function budgetCommand(argv: string[]): Promise<void> {
  const { target: workflowId, raise, json, config } = parseRaiseArguments(argv, 'run', BUDGET_USAGE);
  // The one thing this command does: without --raise it is the same sentence as a bad value.
  const tokens = raise ?? tokensFlag(undefined, '--raise');
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
      json
        ? `${JSON.stringify(budget, null, 2)}\n`
        : `${workflowId}: hard cap ${budget.hardCap} tokens (${budget.spent} spent, ${budget.reserved} reserved, ${budget.remaining} free)\n`,
    );
  } finally {
    await connection.close();
  }
}
