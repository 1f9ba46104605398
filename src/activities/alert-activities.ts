import { ApplicationFailure } from '@temporalio/common';
import {
  alertMessage,
  dailyCostAlerts,
  ledgerDayAlerts,
  runAlerts,
  type AlertThresholds,
  type RunAlertFacts,
} from '../core/alerts';
import { isAgentName } from '../core/agents';
import { postToWebhook, WebhookError } from '../monitoring/webhook';
import type { UsageStore } from '../storage/usage-store';
import { workflowUiLink } from '../cli/render-report';

/** Dependencies of the alert activities: the ledger, the rules, the webhook (from the worker's config). */
export interface AlertActivityDependencies {
  store: UsageStore;
  thresholds: AlertThresholds;
  /** The webhook's URL stays in the worker: workflows name alerts by key, never the URL. */
  webhookUrl?: string;
  /** Where alerts link a run (`temporal.uiUrl`, `temporal.namespace`). */
  temporalUi?: { url: string; namespace: string };
  now?: () => Date;
}

/** A finished run as its workflow reports it for the alert rules (the day is the activity's). */
export type FinishedRunFacts = Omit<RunAlertFacts, 'day'>;

/** What became of one delivery. */
export type DeliveryOutcome = 'delivered' | 'already delivered' | 'no webhook';

export interface AlertActivities {
  /**
   * Evaluates the run rules for a finished run and the spend of the day it finished on, records the new breaches
   * and returns their keys (a breach recorded before, even by another run, is not returned).
   */
  raiseRunAlerts(run: FinishedRunFacts): Promise<string[]>;
  /**
   * Evaluates the day rules and the run rules of every run finished that day, records the new breaches and
   * returns the keys of the day's alerts not delivered yet (new ones and earlier failed deliveries).
   */
  raiseDayAlerts(input: { day: string }): Promise<string[]>;
  /** Sends one recorded alert to the webhook, once: a delivered alert is not sent again. */
  deliverAlert(key: string): Promise<DeliveryOutcome>;
}

/** A failed post as a Temporal failure: retried unless the webhook refused it. */
export function asDeliveryFailure(error: unknown): unknown {
  if (error instanceof WebhookError) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.type,
      nonRetryable: error.type === 'WebhookRejected',
    });
  }
  return error;
}

export function createAlertActivities(dependencies: AlertActivityDependencies): AlertActivities {
  const { store, thresholds, webhookUrl, temporalUi } = dependencies;
  const now = dependencies.now ?? (() => new Date());

  return {
    async raiseRunAlerts(run) {
      const stamp = now().toISOString();
      const day = stamp.slice(0, 10);
      const lines = run.lines?.filter((line) => isAgentName(line.agent));
      // The day's spend is summed by the database: a run's end never reads the day's records. The day's rates
      // (compliance, prediction error) are judged on the whole day by the daily report.
      const alerts = [
        ...runAlerts({ ...run, day, ...(lines ? { lines } : {}) }, thresholds),
        ...dailyCostAlerts(day, await store.dailyCost(day), thresholds),
      ];
      const recorded = await store.recordAlerts(alerts, stamp);
      return recorded.map((alert) => alert.key);
    },

    async raiseDayAlerts({ day }) {
      const [report, runs] = await Promise.all([store.dailyReport(day), store.runsFinishedOn(day)]);
      const alerts = ledgerDayAlerts(report, runs, thresholds);
      await store.recordAlerts(alerts, now().toISOString());
      const undelivered = await store.listAlerts({ day, undelivered: true, limit: 1000 });
      return undelivered.map((alert) => alert.key).reverse();
    },

    async deliverAlert(key) {
      const alert = await store.getAlert(key);
      if (!alert) {
        throw ApplicationFailure.nonRetryable(`No alert with key ${key} is recorded.`, 'AlertNotFound');
      }
      if (alert.deliveredAt !== undefined) return 'already delivered';
      if (!webhookUrl) return 'no webhook';
      const link =
        alert.workflowId && temporalUi
          ? workflowUiLink(temporalUi.url, temporalUi.namespace, alert.workflowId)
          : undefined;
      try {
        await postToWebhook(webhookUrl, alertMessage(alert, link));
      } catch (error) {
        throw asDeliveryFailure(error);
      }
      await store.markAlertDelivered(key, now().toISOString());
      return 'delivered';
    },
  };
}
