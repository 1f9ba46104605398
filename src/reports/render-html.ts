import type { ChartConfig } from '../dashboard/charts';
import { formatTimestamp } from '../dashboard/format';
import { html, jsonForScript, trustedHtml, type SafeHtml } from '../dashboard/html';
import type { DailyReportData } from './daily-report-data';
import { CHART_LIBRARY_TAG } from './inline-chart-library';
import { agentTokensChart, tokensAndCostChart } from './report-charts';
import { REPORT_CHART_SCRIPT, REPORT_STYLE } from './report-page-assets';
import { dailySummary } from './render-summary';
import {
  reportSections,
  type ReportCell,
  type ReportSection,
  type ReportSectionId,
  type ReportTable,
} from './report-sections';

interface ReportChart {
  id: string;
  config: ChartConfig;
  tall?: boolean;
}

function chartsOf(data: DailyReportData): Partial<Record<ReportSectionId, ReportChart>> {
  return {
    modes: { id: 'chart-modes', config: tokensAndCostChart(data.usage.byMode) },
    models: { id: 'chart-models', config: tokensAndCostChart(data.usage.byModel) },
    agents: { id: 'chart-agents', config: agentTokensChart(data.usage), tall: true },
  };
}

function chart(entry: ReportChart): SafeHtml {
  return html`<div class="chart${entry.tall ? ' chart-tall' : ''}">
      <canvas data-chart="${entry.id}" role="img" aria-label="chart"></canvas>
    </div>
    <script type="application/json" id="${entry.id}">
      ${jsonForScript(entry.config)}
    </script>`;
}

function cell(value: ReportCell, number: boolean | undefined): SafeHtml {
  const content =
    typeof value === 'string' ? value : html`<a href="${value.href}" rel="noreferrer">${value.text}</a>`;
  return number ? html`<td class="number">${content}</td>` : html`<td>${content}</td>`;
}

function table(id: ReportSectionId, content: ReportTable): SafeHtml {
  if (content.rows.length === 0) return html`<p class="note">${content.empty}</p>`;
  return html`<table id="table-${id}">
    <thead>
      <tr>
        ${content.columns.map((column) =>
          column.number ? html`<th class="number">${column.label}</th>` : html`<th>${column.label}</th>`,
        )}
      </tr>
    </thead>
    <tbody>
      ${content.rows.map(
        (row) =>
          html`<tr>
            ${row.map((value, index) => cell(value, content.columns[index]?.number))}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function section(content: ReportSection, reportChart: ReportChart | undefined): SafeHtml {
  return html`<section id="${content.id}">
    <h2>${content.title}</h2>
    ${content.notes.map((note) => html`<p class="note">${note}</p>`)}
    ${reportChart && content.table.rows.length > 0 ? chart(reportChart) : ''}
    ${table(content.id, content.table)}
  </section>`;
}

/**
 * The report as a standalone HTML page: every section's table, and charts drawn by Chart.js when it loads (from
 * the dashboard's `/assets/chart.umd.min.js`, or inlined by `inlineChartLibrary` for a file that opens offline).
 */
export function dailyHtml(data: DailyReportData): string {
  const charts = chartsOf(data);
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>tokenflow daily report ${data.day}</title>
        <link rel="icon" href="data:," />
        ${trustedHtml(`<style>${REPORT_STYLE}</style>`)}
      </head>
      <body>
        <h1>tokenflow daily report ${data.day}</h1>
        <p class="note">
          Generated ${formatTimestamp(data.generatedAt)}, over the calls recorded and the runs finished that
          UTC day.
        </p>
        <p class="summary" id="summary">${dailySummary(data)}</p>
        ${reportSections(data).map((content) => section(content, charts[content.id]))}
        ${trustedHtml(CHART_LIBRARY_TAG)} ${trustedHtml(`<script>${REPORT_CHART_SCRIPT}</script>`)}
      </body>
    </html> `;
  return page.value;
}
