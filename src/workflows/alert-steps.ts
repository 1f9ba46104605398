import {
  ActivityFailure,
  CancellationScope,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { AlertActivities, DeliveryOutcome } from '../activities/alert-activities';
import { isAgentName } from '../core/agents';
import { summarizeBudget, totalSpent } from '../core/budget';
import { RUN_ALERTS } from './patches';
import type { AnalysisRun } from './run-state';

/** What became of each alert a step delivered. */
export type DeliveryResults = Record<string, DeliveryOutcome | 'failed'>;

/**
 * The alert activities. Raising reads and writes the ledger (retried like the ledger's writes, briefly); a
 * delivery retries on Temporal's schedule for about half a minute, then the alert stays recorded as not delivered
 * and the day's report sends it again.
 */
export function alertProxies() {
  const raising = proxyActivities<AlertActivities>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5, maximumInterval: '10s' },
  });
  const delivery = proxyActivities<AlertActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 6 },
  });
  return {
    raiseRunAlerts: raising.raiseRunAlerts,
    raiseDayAlerts: raising.raiseDayAlerts,
    deliverAlert: delivery.deliverAlert,
  };
}

/** Delivers the alerts one by one (in the order raised); a delivery that fails past its retries is reported. */
export async function deliverAlerts(keys: readonly string[]): Promise<DeliveryResults> {
  const { deliverAlert } = alertProxies();
  const results: DeliveryResults = {};
  for (const key of keys) {
    try {
      results[key] = await deliverAlert(key);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      results[key] = 'failed';
    }
  }
  return results;
}

/**
 * The run's alerts, raised and delivered as it ends (after its ledger line, whatever way it ended). Alerts never
 * fail a run: what goes wrong becomes a degradation.
 */
export async function raiseRunAlerts(run: AnalysisRun, budgetStatus: string): Promise<void> {
  if (!patched(RUN_ALERTS)) return;
  const { budget } = run.pipeline;
  // Allocations are token management: a baseline run (the origin project's behaviour) is not held to them.
  const lines =
    run.input.request.mode === 'baseline'
      ? []
      : summarizeBudget(budget).lines.flatMap(({ line, allocation, spent }) =>
          isAgentName(line) ? [{ agent: line, allocation, spent }] : [],
        );
  try {
    await CancellationScope.nonCancellable(async () => {
      const keys = await alertProxies().raiseRunAlerts({
        workflowId: workflowInfo().workflowId,
        budgetStatus,
        totalTokens: totalSpent(budget),
        budgetTokens: budget.hardCap,
        lines,
      });
      const results = await deliverAlerts(keys);
      const failed = Object.keys(results).filter((key) => results[key] === 'failed');
      if (failed.length > 0) {
        run.pipeline.degradations.push(`alerts not delivered (kept in the ledger): ${failed.join(', ')}`);
      }
    });
  } catch (error) {
    run.pipeline.degradations.push(
      `the run's alerts could not be raised (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
