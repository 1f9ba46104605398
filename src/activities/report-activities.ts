import { ApplicationFailure } from '@temporalio/common';
import { webhookMessage, type AlertThresholds } from '../core/alerts';
import { postToWebhook } from '../monitoring/webhook';
import { buildDailyReport } from '../reports/build-daily-report';
import type { UsageStore } from '../storage/usage-store';
import { asDeliveryFailure, type DeliveryOutcome } from './alert-activities';

/** Dependencies of the report activities (the worker's ledger and config). */
export interface ReportActivityDependencies {
  store: UsageStore;
  thresholds: AlertThresholds;
  webhookUrl?: string;
  temporalUi?: { url: string; namespace: string };
  now?: () => Date;
}

/** What the report workflow keeps of a report: the page itself stays in the ledger, out of the history. */
export interface WrittenReport {
  day: string;
  summary: string;
  runs: number;
  calls: number;
  totalTokens: number;
  costUsd: number;
  alerts: number;
}

export interface ReportActivities {
  /** Builds the day's report (markdown and HTML) from the ledger and stores it there, replacing an older one. */
  writeDailyReport(input: { day: string; workflowId: string }): Promise<WrittenReport>;
  /** Sends the stored report's summary to the webhook, once. */
  deliverReportSummary(input: { day: string }): Promise<DeliveryOutcome>;
}

export function createReportActivities(dependencies: ReportActivityDependencies): ReportActivities {
  const { store, thresholds, webhookUrl, temporalUi } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  return {
    async writeDailyReport({ day, workflowId }) {
      const generatedAt = now().toISOString();
      const report = await buildDailyReport(store, day, {
        thresholds,
        generatedAt,
        ...(temporalUi ? { temporalUiUrl: temporalUi.url, namespace: temporalUi.namespace } : {}),
      });
      await store.saveReport({
        day,
        workflowId,
        createdAt: generatedAt,
        summary: report.summary,
        markdown: report.markdown,
        html: report.html,
      });
      const { runs, calls, totalTokens, costUsd, alerts } = report.totals;
      return { day, summary: report.summary, runs, calls, totalTokens, costUsd, alerts };
    },

    async deliverReportSummary({ day }) {
      const report = await store.getReport(day);
      if (!report) {
        throw ApplicationFailure.nonRetryable(`No report of ${day} is stored.`, 'ReportNotFound');
      }
      if (report.summarySentAt !== undefined) return 'already delivered';
      if (!webhookUrl) return 'no webhook';
      try {
        await postToWebhook(webhookUrl, webhookMessage(`:bar_chart: ${report.summary}`));
      } catch (error) {
        throw asDeliveryFailure(error);
      }
      await store.markReportSummarySent(day, now().toISOString());
      return 'delivered';
    },
  };
}
