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

/** Delivery attempts of an alert as a run ends (the run waits for them) and in the daily report. */
export const RUN_END_DELIVERY_ATTEMPTS = 3;
export const REPORT_DELIVERY_ATTEMPTS = 6;

/**
 * The alert activities. Raising reads and writes the ledger (retried briefly); a delivery retries on Temporal's
 * schedule, 1 s doubling to 10 s between attempts, each post given 10 s by the activity.
 */
export function alertProxies(deliveryAttempts = REPORT_DELIVERY_ATTEMPTS) {
  const raising = proxyActivities<AlertActivities>({
    startToCloseTimeout: '30s',
    retry: { maximumAttempts: 5, maximumInterval: '10s' },
  });
  const delivery = proxyActivities<AlertActivities>({
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      maximumAttempts: deliveryAttempts,
    },
  });
  return {
    raiseRunAlerts: raising.raiseRunAlerts,
    raiseDayAlerts: raising.raiseDayAlerts,
    deliverAlert: delivery.deliverAlert,
  };
}

/**
 * Delivers the alerts one by one, in the order raised. Once one fails past its retries the webhook is taken to be
 * down: the rest are not tried (each would wait out its own retries) and stay recorded, not delivered, for the
 * day's report to send.
 */
export async function deliverAlerts(
  keys: readonly string[],
  attempts = REPORT_DELIVERY_ATTEMPTS,
): Promise<DeliveryResults> {
  const { deliverAlert } = alertProxies(attempts);
  const results: DeliveryResults = {};
  let webhookDown = false;
  for (const key of keys) {
    if (webhookDown) {
      results[key] = 'failed';
      continue;
    }
    try {
      results[key] = await deliverAlert(key);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      results[key] = 'failed';
      webhookDown = true;
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
      // The run's result waits for these: a few attempts only, the daily report retries the rest.
      const results = await deliverAlerts(keys, RUN_END_DELIVERY_ATTEMPTS);
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
