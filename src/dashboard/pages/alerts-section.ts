import type { RecordedAlert, StoredReport } from '../../storage/usage-store';
import { formatTimestamp } from '../format';
import { html, type SafeHtml } from '../html';
import { runHref } from '../links';

/** A stored report as the trends page lists it. */
export type ReportListEntry = Pick<StoredReport, 'day' | 'createdAt' | 'summary'>;

/** The dashboard's page of a stored daily report. */
export function reportHref(day: string): string {
  return `/reports/${encodeURIComponent(day)}`;
}

function alertRow(alert: RecordedAlert): SafeHtml {
  return html`<tr data-key="${alert.key}">
    <td>${formatTimestamp(alert.raisedAt)}</td>
    <td>${alert.rule}</td>
    <td>${alert.message}</td>
    <td>
      ${alert.workflowId === undefined ? '' : html`<a href="${runHref(alert.workflowId)}">${alert.workflowId}</a>`}
    </td>
    <td data-field="delivered">
      ${
        alert.deliveredAt === undefined
          ? html`<span class="warning">not delivered</span>`
          : html`delivered ${formatTimestamp(alert.deliveredAt)}`
      }
    </td>
  </tr>`;
}

/** The ledger's newest alerts: when, which rule, what, the run, and whether the webhook took it. */
export function alertsSection(alerts: readonly RecordedAlert[]): SafeHtml {
  return html`<section id="alerts">
    <h2>Alerts</h2>
    ${
      alerts.length === 0
        ? html`<p class="note">
            No alert recorded. Runs are checked as they end and each day by the daily report; the thresholds
            are the
            <code>alerts</code> settings.
          </p>`
        : html`<table id="alert-list">
            <thead>
              <tr>
                <th>Raised</th>
                <th>Rule</th>
                <th>Message</th>
                <th>Run</th>
                <th>Webhook</th>
              </tr>
            </thead>
            <tbody>
              ${alerts.map(alertRow)}
            </tbody>
          </table>`
    }
  </section>`;
}

/** The stored daily reports, newest day first, each linking to its page. */
export function reportsSection(reports: readonly ReportListEntry[]): SafeHtml {
  return html`<section id="daily-reports">
    <h2>Daily reports</h2>
    ${
      reports.length === 0
        ? html`<p class="note">
            No daily report stored yet: the report Schedule stores one after each UTC day ends;
            <code>tokenflow report --day YYYY-MM-DD</code> builds one on demand.
          </p>`
        : html`<table id="report-list">
            <thead>
              <tr>
                <th>Day</th>
                <th>Summary</th>
                <th>Made</th>
              </tr>
            </thead>
            <tbody>
              ${reports.map(
                (report) =>
                  html`<tr data-day="${report.day}">
                    <td><a href="${reportHref(report.day)}">${report.day}</a></td>
                    <td>${report.summary}</td>
                    <td>${formatTimestamp(report.createdAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}
