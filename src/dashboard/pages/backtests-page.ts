import type { BacktestListing, ReadableBacktest, UnreadableBacktest } from '../backtest-reports';
import { formatTimestamp } from '../format';
import { html, type SafeHtml } from '../html';
import { backtestHref } from '../links';
import { agreementText, hitRateText, modesOf, reportTotals } from './backtest-figures';
import { layout, type PageContext } from './layout';

/** What the backtests page lists: the reports folder's backtests, newest first. */
export interface BacktestsPageData {
  /** Undefined when the dashboard was started without a reports folder to read. */
  listings?: BacktestListing[];
}

const COLUMNS = 10;

function readableRow(listing: ReadableBacktest): SafeHtml {
  const { report } = listing;
  const modes = modesOf(report);
  const totals = reportTotals(report);
  const partial =
    listing.unreadableEntries > 0 || listing.summaryRecomputed
      ? html` <span class="warning" data-field="partial">partly readable</span>`
      : '';
  return html`<tr data-backtest-id="${listing.id}">
    <td><a href="${backtestHref(listing.id)}">${report.backtestId}</a>${partial}</td>
    <td data-field="ticker">${report.ticker}</td>
    <td>${report.from} to ${report.to}, every ${report.every}</td>
    <td data-field="modes">${modes.map((mode) => mode.mode).join(', ')}</td>
    <td class="number" data-field="runs">${report.entries.length}</td>
    <td class="number" data-field="tokens">${totals.tokens}</td>
    <td class="number" data-field="cost">${totals.cost}</td>
    <td data-field="hit-rates">
      ${modes.map(
        (mode) => html`<div data-mode="${mode.mode}">${mode.mode}: ${hitRateText(mode.summary)}</div>`,
      )}
    </td>
    <td data-field="agreement">${agreementText(report)}</td>
    <td>${formatTimestamp(report.generatedAt)}</td>
  </tr>`;
}

function unreadableRow(listing: UnreadableBacktest): SafeHtml {
  return html`<tr data-backtest-id="${listing.id}" class="unreadable">
    <td><a href="${backtestHref(listing.id)}">${listing.id}</a></td>
    <td colspan="${COLUMNS - 2}" class="warning" data-field="problem">${listing.problem}</td>
    <td>${formatTimestamp(listing.modifiedAt || undefined)}</td>
  </tr>`;
}

function listing(listings: readonly BacktestListing[]): SafeHtml {
  if (listings.length === 0) {
    return html`<p class="note" id="no-backtests">
      No backtest report yet: <code>tokenflow backtest TICKER --from D1 --to D2</code> writes one to
      <code>&lt;dataDir&gt;/reports</code> when it ends.
    </p>`;
  }
  return html`<table id="backtests">
    <thead>
      <tr>
        <th>Backtest</th>
        <th>Ticker</th>
        <th>Dates</th>
        <th>Modes</th>
        <th class="number">Runs</th>
        <th class="number">Tokens</th>
        <th class="number">Cost</th>
        <th>Hit rate (hits of scored)</th>
        <th>Agreement</th>
        <th>Generated</th>
      </tr>
    </thead>
    <tbody>
      ${listings.map((entry) => (entry.readable ? readableRow(entry) : unreadableRow(entry)))}
    </tbody>
  </table>`;
}

/** The backtests page: every backtest report of `<dataDir>/reports`, newest first, a malformed one with why. */
export function backtestsPage(data: BacktestsPageData, context: PageContext): string {
  return layout({
    title: 'Backtests',
    section: 'backtests',
    body: html`<h1>Backtests</h1>
      ${
        data.listings === undefined
          ? html`<p class="note" id="no-backtests">
              This dashboard was started without a reports folder, so it cannot list backtests.
            </p>`
          : listing(data.listings)
      }`,
    context,
  });
}
