import { ALERT_RULE, type Alert } from '../core/alerts';
import type { RecordedAlert } from '../storage/usage-store';

/** Where an alert of the report stands: sent to the webhook, only in the ledger, or raised by the rules now. */
export type ReportAlertStatus = 'delivered' | 'recorded' | 'not-recorded';

/** How the report names each status. */
export const ALERT_STATUS_LABEL: Readonly<Record<ReportAlertStatus, string>> = {
  delivered: 'delivered',
  recorded: 'recorded, not delivered',
  'not-recorded': 'not recorded',
};

/** An alert of the day as the report lists it. */
export interface ReportAlert extends Alert {
  status: ReportAlertStatus;
  raisedAt?: string;
  deliveredAt?: string;
}

const RULE_ORDER: readonly string[] = Object.values(ALERT_RULE);

/**
 * The recorded alerts of a day and the ones the rules give on the ledger now, once per key. A recorded alert
 * keeps its recorded text (what the webhook was sent); an alert the rules give that the ledger lacks (the run's
 * alert activity did not run, or the thresholds changed since) is marked not recorded. Ordered by rule, then key.
 */
export function mergeAlerts(recorded: readonly RecordedAlert[], evaluated: readonly Alert[]): ReportAlert[] {
  const byKey = new Map<string, ReportAlert>();
  for (const alert of recorded) {
    byKey.set(alert.key, { ...alert, status: alert.deliveredAt === undefined ? 'recorded' : 'delivered' });
  }
  for (const alert of evaluated) {
    if (!byKey.has(alert.key)) byKey.set(alert.key, { ...alert, status: 'not-recorded' });
  }
  return [...byKey.values()].sort(
    (left, right) =>
      RULE_ORDER.indexOf(left.rule) - RULE_ORDER.indexOf(right.rule) ||
      (left.key < right.key ? -1 : left.key > right.key ? 1 : 0),
  );
}
