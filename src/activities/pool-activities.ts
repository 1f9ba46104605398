import { Context } from '@temporalio/activity';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { FAILURE_TYPE } from '../core/failure-types';
import { poolWorkflowId, type PoolDefinition, type ReserveOutcome, type ReserveRequest } from '../core/pool';
import type { budgetPoolWorkflow } from '../workflows/budget-pool-workflow';
import { releasePoolUpdate, reservePoolUpdate } from '../workflows/pool-definitions';

export interface PoolActivityDependencies {
  /** The pools of the worker's config, by name. */
  pools: Record<string, PoolDefinition>;
  /** Task queue the pool workflows run on. */
  taskQueue: string;
  /** The client to reach the pool workflows; the worker's own (the activity context's) when absent. */
  client?: () => Client;
}

/**
 * Starts the pool's workflow along with an update when it is not running yet, or uses the one that is (the first
 * run of a pool and a `tokenflow pool --raise` cannot start two).
 */
export function startPoolOperation(definition: PoolDefinition, taskQueue: string) {
  return new WithStartWorkflowOperation<typeof budgetPoolWorkflow>('budgetPoolWorkflow', {
    workflowId: poolWorkflowId(definition.name),
    taskQueue,
    args: [{ definition }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

export interface PoolReserveInput {
  pool: string;
  request: ReserveRequest;
}

export interface PoolReleaseInput {
  pool: string;
  holder: string;
  spentTokens: number;
}

/**
 * Activities a run uses to draw on a token pool: each one an update of the pool's entity workflow, which the
 * reservation starts when it is not running yet (update-with-start, so the first run of a day and the pool's
 * start cannot race). The request id is the update id too, so a retried activity is answered once.
 */
export function createPoolActivities(dependencies: PoolActivityDependencies) {
  const clientOf = () => dependencies.client?.() ?? Context.current().client;
  const definitionOf = (name: string): PoolDefinition => {
    const definition = dependencies.pools[name];
    if (!definition) {
      const known = Object.keys(dependencies.pools);
      throw ApplicationFailure.nonRetryable(
        `The worker's config has no pool "${name}" (${known.length > 0 ? `known: ${known.join(', ')}` : 'it defines none'}); add it under pools.`,
        FAILURE_TYPE.UnknownPool,
      );
    }
    return definition;
  };

  return {
    async reservePoolTokens({ pool, request }: PoolReserveInput): Promise<ReserveOutcome> {
      const definition = definitionOf(pool);
      try {
        return await clientOf().workflow.executeUpdateWithStart(reservePoolUpdate, {
          args: [request],
          updateId: request.requestId,
          startWorkflowOperation: startPoolOperation(definition, dependencies.taskQueue),
        });
      } catch (error) {
        // The validator's refusal: a request that can never be granted. Retrying cannot help.
        if (error instanceof WorkflowUpdateFailedError)
          throw ApplicationFailure.nonRetryable(
            error.cause?.message ?? error.message,
            FAILURE_TYPE.PoolRequestRejected,
          );
        throw error;
      }
    },

    async releasePoolTokens({ pool, holder, spentTokens }: PoolReleaseInput): Promise<{ charged: number }> {
      try {
        return await clientOf()
          .workflow.getHandle(poolWorkflowId(pool))
          .executeUpdate(releasePoolUpdate, { args: [{ holder, spentTokens }] });
      } catch (error) {
        // No pool workflow: nothing was reserved from it, so nothing is released.
        if (error instanceof WorkflowNotFoundError) return { charged: 0 };
        throw error;
      }
    },
  };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
