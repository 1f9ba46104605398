import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PoolDefinition, PoolState, PoolSummary, ReserveOutcome, ReserveRequest } from '../core/pool';

/**
 * The messages of a token pool's entity workflow (`budgetPoolWorkflow`) and the signal it sends a run it
 * granted tokens to after the run had to wait. Imported by workflows, activities and the CLI alike.
 */

export interface BudgetPoolInput {
  definition: PoolDefinition;
  /** State carried over by continue-as-new; absent on the pool's first start. */
  state?: PoolState;
  /** Continue as new past this many history events (or when Temporal suggests it). */
  historyEventLimit?: number;
}

/** Reserves tokens of the current period; validated: a malformed request or one that can never fit is rejected. */
export const reservePoolUpdate = defineUpdate<ReserveOutcome, [ReserveRequest]>('reservePool');
/** Releases a holder's grant (and any request of it still waiting), charging what it spent. */
export const releasePoolUpdate = defineUpdate<{ charged: number }, [{ holder: string; spentTokens: number }]>(
  'releasePool',
);
/** Adds tokens to the current period's budget; waiting requests that now fit are granted. */
export const raisePoolUpdate = defineUpdate<PoolSummary, [{ tokens: number }]>('raisePool');
/** The pool's period, budget, spent, reserved and available tokens, holders and waiting requests. */
export const poolStatusQuery = defineQuery<PoolSummary>('poolStatus');

/** Sent by the pool to a run whose waiting request it has now granted. */
export const poolGrantSignal = defineSignal<[{ requestId: string; tokens: number }]>('poolGrant');
