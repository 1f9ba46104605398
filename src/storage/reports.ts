import type { Kysely, Selectable } from 'kysely';
import { DAY_PATTERN, normalizeTimestamp, nullable, optionalString, requireLimit } from './columns';
import type { LedgerTables, ReportsTable } from './ledger-tables';
import { UsageStoreError } from './usage-store-error';

/** A daily report as stored: its one-paragraph summary, the markdown and the HTML page. */
export interface StoredReport {
  /** The UTC day reported, `YYYY-MM-DD`. */
  day: string;
  /** The report workflow that wrote it. */
  workflowId?: string;
  createdAt: string;
  summary: string;
  markdown: string;
  html: string;
  /** When the webhook took the summary. */
  summarySentAt?: string;
}

/** The report part of the ledger: one report per day. */
export interface ReportStore {
  /**
   * Saves the day's report, replacing an earlier one of that day (a report run again later sees more of the
   * ledger); when its summary was sent it stays sent.
   */
  saveReport(report: Omit<StoredReport, 'summarySentAt'>): Promise<void>;
  getReport(day: string): Promise<StoredReport | undefined>;
  /** Days and summaries of the stored reports, newest day first (without the bodies). */
  listReports(limit?: number): Promise<Array<Pick<StoredReport, 'day' | 'createdAt' | 'summary'>>>;
  /** Stamps the day's summary sent; false when it already was (or there is no report of that day). */
  markReportSummarySent(day: string, sentAt: string): Promise<boolean>;
}

function requireDay(day: string): void {
  if (!DAY_PATTERN.test(day)) throw new UsageStoreError(`Report day "${day}" must be YYYY-MM-DD.`);
}

function rowToReport(row: Selectable<ReportsTable>): StoredReport {
  const report: StoredReport = {
    day: row.day,
    createdAt: row.created_at,
    summary: row.summary,
    markdown: row.markdown,
    html: row.html,
  };
  const workflowId = optionalString(row.workflow_id);
  if (workflowId !== undefined) report.workflowId = workflowId;
  const sentAt = optionalString(row.summary_sent_at);
  if (sentAt !== undefined) report.summarySentAt = sentAt;
  return report;
}

/** The daily reports of an open, migrated ledger. */
export function createReportStore(database: Kysely<LedgerTables>): ReportStore {
  return {
    async saveReport(report) {
      requireDay(report.day);
      const values = {
        workflow_id: nullable(report.workflowId),
        created_at: normalizeTimestamp(report.createdAt, 'createdAt'),
        summary: report.summary,
        markdown: report.markdown,
        html: report.html,
      };
      await database
        .insertInto('reports')
        .values({ day: report.day, ...values, summary_sent_at: null })
        .onConflict((conflict) => conflict.column('day').doUpdateSet(values))
        .execute();
    },

    async getReport(day) {
      requireDay(day);
      const row = await database.selectFrom('reports').selectAll().where('day', '=', day).executeTakeFirst();
      return row ? rowToReport(row) : undefined;
    },

    async listReports(limit = 30) {
      requireLimit(limit);
      const rows = await database
        .selectFrom('reports')
        .select(['day', 'created_at', 'summary'])
        .orderBy('day', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ day: row.day, createdAt: row.created_at, summary: row.summary }));
    },

    async markReportSummarySent(day, sentAt) {
      requireDay(day);
      const result = await database
        .updateTable('reports')
        .set({ summary_sent_at: normalizeTimestamp(sentAt, 'sentAt') })
        .where('day', '=', day)
        .where('summary_sent_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
