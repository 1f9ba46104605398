import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BudgetSummary } from '../core/budget';
import type { CallSummary, RunProgress } from '../core/run-types';

/** Live progress of a run: phase, agents in flight, tokens against the hard cap. */
export const progressQuery = defineQuery<RunProgress>('progress');
/** The run's budget: allocation, reserved, spent and remaining per line and in total. */
export const budgetQuery = defineQuery<BudgetSummary>('budget');
/** Every finished agent call with its tokens, words and cost. */
export const usageQuery = defineQuery<CallSummary[]>('usage');

/** Changes the run's hard cap; refused when below what is already spent or reserved. */
export const changeBudgetUpdate = defineUpdate<BudgetSummary, [{ hardCap: number }]>('changeBudget');
/**
 * Adds tokens to the run's hard cap; a paused run goes on. A run that draws on a pool takes them from the pool
 * first, and the update fails (the run unchanged) when the pool cannot give them.
 */
export const raiseBudgetUpdate = defineUpdate<BudgetSummary, [{ tokens: number }]>('raiseBudget');
/** Cancels the run; the result keeps everything finished so far. */
export const cancelRunUpdate = defineUpdate<{ cancelled: boolean }, [{ reason?: string }]>('cancelRun');
