import type { Calibration, RecordedAlert } from '../../storage/usage-store';
import { costPerDayChart, tokensPerDayChart, type ChartConfig } from '../charts';
import { formatCount, formatPercent, formatTimestamp, formatUsd, UNKNOWN } from '../format';
import { html, jsonForScript, type SafeHtml } from '../html';
import type { BaselineComparison, DailySeries, ModeTotals } from '../trends';
import { alertsSection, reportsSection, type ReportListEntry } from './alerts-section';
import { layout, type PageContext } from './layout';

/** What the trends page shows over its window. */
export interface TrendsPageData {
  days: number;
  series: DailySeries;
  comparison: BaselineComparison;
  calibrations: Calibration[];
  activeCalibration?: string;
  /** The ledger's newest alerts, newest first. */
  alerts: RecordedAlert[];
  /** The stored daily reports, newest day first. */
  reports: ReportListEntry[];
}

/** Reasons shown per calibration version before "and N more". */
const REASONS_SHOWN = 3;

function chart(id: string, config: ChartConfig): SafeHtml {
  return html`<div class="chart chart-short"><canvas data-chart="${id}" role="img"></canvas></div>
    <script type="application/json" id="${id}">
      ${jsonForScript(config)}
    </script>`;
}

function modeRow(mode: string, totals: ModeTotals | undefined): SafeHtml {
  if (!totals) {
    return html`<tr data-mode="${mode}">
      <td>${mode}</td>
      <td class="number">0</td>
      <td class="number">${UNKNOWN}</td>
      <td class="number">${UNKNOWN}</td>
      <td class="number">${UNKNOWN}</td>
    </tr>`;
  }
  return html`<tr data-mode="${mode}">
    <td>${mode}</td>
    <td class="number">${formatCount(totals.runs)}</td>
    <td class="number">${formatCount(totals.totalTokens)}</td>
    <td class="number" data-field="tokens-per-run">${formatCount(totals.tokensPerRun)}</td>
    <td class="number">${formatUsd(totals.costPerRun)}</td>
  </tr>`;
}

function reduction(data: TrendsPageData): SafeHtml {
  const { comparison } = data;
  const verdict =
    comparison.tokenReduction === undefined
      ? html`<p class="note" id="reduction">
          No reduction to show: it needs baseline and optimized runs in the window.
          <code>tokenflow compare</code>
          makes a pair on the same inputs.
        </p>`
      : html`<p id="reduction">
          An optimized run spends <strong>${formatPercent(comparison.tokenReduction)}</strong> fewer tokens
          than a baseline
          run${
            comparison.costReduction === undefined
              ? ''
              : html` and costs <strong>${formatPercent(comparison.costReduction)}</strong> less`
          },
          on average over the last ${data.days} days.
        </p>`;
  return html`<section>
    <h2>Reduction against the baseline</h2>
    ${verdict}
    <table id="modes">
      <thead>
        <tr>
          <th>Mode</th>
          <th class="number">Runs</th>
          <th class="number">Tokens</th>
          <th class="number">Tokens per run</th>
          <th class="number">Cost per run</th>
        </tr>
      </thead>
      <tbody>
        ${modeRow('optimized', comparison.optimized)} ${modeRow('baseline', comparison.baseline)}
      </tbody>
    </table>
  </section>`;
}

function calibrationRow(calibration: Calibration, active: string | undefined): SafeHtml {
  const reasons = calibration.reasons.slice(0, REASONS_SHOWN);
  const more = calibration.reasons.length - reasons.length;
  return html`<tr data-version="${calibration.version}">
    <td>
      ${calibration.version}${calibration.version === active ? html` <span class="status">active</span>` : ''}
    </td>
    <td>${formatTimestamp(calibration.createdAt)}</td>
    <td class="number">${Object.keys(calibration.agents).length}</td>
    <td>${Object.keys(calibration.tokenizerDrift ?? {}).join(', ') || UNKNOWN}</td>
    <td>
      <ul class="reasons">
        ${reasons.map((reason) => html`<li>${reason}</li>`)}
        ${more > 0 ? html`<li>and ${more} more</li>` : ''}
      </ul>
    </td>
  </tr>`;
}

function calibrations(data: TrendsPageData): SafeHtml {
  return html`<section>
    <h2>Calibration versions</h2>
    ${
      data.calibrations.length === 0
        ? html`<p class="note">
            No calibration yet: <code>tokenflow learn</code> writes one from recorded usage.
          </p>`
        : html`<table id="calibrations">
            <thead>
              <tr>
                <th>Version</th>
                <th>Written</th>
                <th class="number">Agents</th>
                <th>Tokenizer drift for</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              ${data.calibrations.map((calibration) => calibrationRow(calibration, data.activeCalibration))}
            </tbody>
          </table>`
    }
  </section>`;
}

function windowLinks(days: number): SafeHtml {
  return html`<p class="pages">
    Window:
    ${[7, 30, 90, 365].map((option) =>
      option === days
        ? html`<strong>${option} days</strong> `
        : html`<a href="/trends?days=${option}">${option} days</a> `,
    )}
  </p>`;
}

/** The trends page: cost and tokens per day, reduction against the baseline, calibration versions, alerts and daily reports. */
export function trendsPage(data: TrendsPageData, context: PageContext): string {
  return layout({
    title: 'Trends',
    section: 'trends',
    body: html`<h1>Trends</h1>
      ${windowLinks(data.days)}
      <section>
        <h2>Tokens per day</h2>
        ${chart('chart-tokens-per-day', tokensPerDayChart(data.series))}
      </section>
      <section>
        <h2>Cost per day</h2>
        ${chart('chart-cost-per-day', costPerDayChart(data.series))}
      </section>
      ${reduction(data)} ${calibrations(data)} ${alertsSection(data.alerts)} ${reportsSection(data.reports)}`,
    context,
  });
}
