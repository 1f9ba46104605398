import type { Kysely, Selectable } from 'kysely';
import { ALERT_RULE, type Alert, type AlertRule } from '../core/alerts';
import { DAY_PATTERN, normalizeTimestamp, nullable, optionalString, requireLimit } from './columns';
import type { AlertsTable, LedgerTables } from './ledger-tables';
import { UsageStoreError } from './usage-store-error';

/** An alert as the ledger keeps it: when it was raised and, once the webhook took it, when it was delivered. */
export interface RecordedAlert extends Alert {
  raisedAt: string;
  deliveredAt?: string;
}

/** Filter of {@link AlertStore.listAlerts}. */
export interface AlertFilter {
  /** Alerts of this UTC day (`YYYY-MM-DD`). */
  day?: string;
  /** Only alerts the webhook has not taken yet. */
  undelivered?: boolean;
  limit?: number;
}

/** The alert part of the ledger: each breach once, by its key. */
export interface AlertStore {
  /**
   * Records the alerts whose keys are new and returns those (a breach seen again, by a retry or by the daily
   * sweep, records nothing and is not returned).
   */
  recordAlerts(alerts: readonly Alert[], raisedAt: string): Promise<RecordedAlert[]>;
  /** One alert by its key. */
  getAlert(key: string): Promise<RecordedAlert | undefined>;
  /** Stamps an alert delivered; false when it already was (or does not exist). */
  markAlertDelivered(key: string, deliveredAt: string): Promise<boolean>;
  /** Alerts, newest first. */
  listAlerts(filter?: AlertFilter): Promise<RecordedAlert[]>;
}

const RULES = new Set<string>(Object.values(ALERT_RULE));

function rowToAlert(row: Selectable<AlertsTable>): RecordedAlert {
  const alert: RecordedAlert = {
    key: row.key,
    rule: row.rule as AlertRule,
    day: row.day,
    message: row.message,
    value: Number(row.value),
    threshold: Number(row.threshold),
    raisedAt: row.raised_at,
  };
  const workflowId = optionalString(row.workflow_id);
  if (workflowId !== undefined) alert.workflowId = workflowId;
  const agent = optionalString(row.agent);
  if (agent !== undefined) alert.agent = agent;
  const deliveredAt = optionalString(row.delivered_at);
  if (deliveredAt !== undefined) alert.deliveredAt = deliveredAt;
  return alert;
}

function validateAlert(alert: Alert): void {
  if (typeof alert.key !== 'string' || alert.key.length === 0) {
    throw new UsageStoreError('An alert needs a non-empty key.');
  }
  if (!RULES.has(alert.rule)) {
    throw new UsageStoreError(`Alert ${alert.key} has an unknown rule "${String(alert.rule)}".`);
  }
  if (!DAY_PATTERN.test(alert.day)) {
    throw new UsageStoreError(`Alert ${alert.key} has day "${alert.day}"; pass it as YYYY-MM-DD.`);
  }
  if (!Number.isFinite(alert.value) || !Number.isFinite(alert.threshold)) {
    throw new UsageStoreError(`Alert ${alert.key} needs a finite value and threshold.`);
  }
}

/** The alerts of an open, migrated ledger. */
export function createAlertStore(database: Kysely<LedgerTables>): AlertStore {
  return {
    async recordAlerts(alerts, raisedAt) {
      alerts.forEach(validateAlert);
      const stamp = normalizeTimestamp(raisedAt, 'raisedAt');
      const recorded: RecordedAlert[] = [];
      for (const alert of alerts) {
        const inserted = await database
          .insertInto('alerts')
          .values({
            key: alert.key,
            rule: alert.rule,
            day: alert.day,
            workflow_id: nullable(alert.workflowId),
            agent: nullable(alert.agent),
            message: alert.message,
            value: alert.value,
            threshold: alert.threshold,
            raised_at: stamp,
            delivered_at: null,
          })
          .onConflict((conflict) => conflict.column('key').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) recorded.push({ ...alert, raisedAt: stamp });
      }
      return recorded;
    },

    async getAlert(key) {
      const row = await database.selectFrom('alerts').selectAll().where('key', '=', key).executeTakeFirst();
      return row ? rowToAlert(row) : undefined;
    },

    async markAlertDelivered(key, deliveredAt) {
      const result = await database
        .updateTable('alerts')
        .set({ delivered_at: normalizeTimestamp(deliveredAt, 'deliveredAt') })
        .where('key', '=', key)
        .where('delivered_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async listAlerts(filter = {}) {
      requireLimit(filter.limit);
      let query = database.selectFrom('alerts').selectAll();
      if (filter.day !== undefined) query = query.where('day', '=', filter.day);
      if (filter.undelivered) query = query.where('delivered_at', 'is', null);
      const rows = await query
        .orderBy('raised_at', 'desc')
        .orderBy('key')
        .limit(filter.limit ?? 100)
        .execute();
      return rows.map(rowToAlert);
    },
  };
}
