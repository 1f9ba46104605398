import {
  BACKTEST_MODE_ORDER,
  decisionHit,
  type BacktestEntry,
  type BacktestReport,
} from '../../core/backtest';
import type { BacktestListing, ReadableBacktest } from '../backtest-reports';
import { backtestTokensChart } from '../charts';
import { formatCount, formatSignedPercent, formatTimestamp, formatUsd, UNKNOWN } from '../format';
import { html, jsonForScript, type SafeHtml } from '../html';
import { runHref, temporalWorkflowHref } from '../links';
import { agreementText, costText, hitRateText, intervalText, modesOf, runsText } from './backtest-figures';
import { layout, type PageContext } from './layout';

function fact(label: string, value: string | SafeHtml, field?: string): SafeHtml {
  const description =
    field === undefined ? html`<dd>${value}</dd>` : html`<dd data-field="${field}">${value}</dd>`;
  return html`<div>
    <dt>${label}</dt>
    ${description}
  </div>`;
}

function facts(listing: ReadableBacktest, context: PageContext): SafeHtml {
  const { report } = listing;
  return html`<dl class="facts">
    ${fact('Backtest', report.backtestId, 'backtest-id')} ${fact('Ticker', report.ticker, 'ticker')}
    ${fact('Dates', `${report.from} to ${report.to}, every ${report.every}`)}
    ${fact(
      'Batch budget',
      report.budgetTokens === undefined ? 'none' : `${formatCount(report.budgetTokens)} tokens`,
    )}
    ${fact('Generated', formatTimestamp(report.generatedAt))} ${fact('Report file', `${listing.id}.json`)}
    ${fact(
      'Temporal',
      html`<a href="${temporalWorkflowHref(context.temporalUi, report.backtestId)}" rel="noreferrer"
        >open the backtest in the Temporal UI ↗</a
      >`,
    )}
  </dl>`;
}

function notes(listing: ReadableBacktest): SafeHtml {
  const unreadable = listing.unreadableEntries;
  return html`${
    unreadable > 0
      ? html`<p class="warning" data-note="unreadable-entries">
          ${unreadable} ${unreadable === 1 ? 'run' : 'runs'} of the file could not be read and
          ${unreadable === 1 ? 'is' : 'are'} left out.
        </p>`
      : ''
  }
  ${
    listing.summaryRecomputed
      ? html`<p class="warning" data-note="summary-recomputed">
          The file's summary is missing or unreadable: the one below is worked out from the runs the file has.
        </p>`
      : ''
  }`;
}

function modesTable(report: BacktestReport): SafeHtml {
  return html`<table id="backtest-modes">
      <thead>
        <tr>
          <th>Mode</th>
          <th class="number">Dates</th>
          <th>Runs</th>
          <th>Hit rate (hits of scored)</th>
          <th>95% interval</th>
          <th class="number">Tokens</th>
          <th class="number">Tokens per completed run</th>
          <th class="number">Cost</th>
        </tr>
      </thead>
      <tbody>
        ${modesOf(report).map(
          ({ mode, summary, entries }) =>
            html`<tr data-mode="${mode}">
              <td>${mode}</td>
              <td class="number">${summary.dates}</td>
              <td>${runsText(summary)}</td>
              <td data-field="hit-rate">${hitRateText(summary)}</td>
              <td data-field="interval">${intervalText(summary)}</td>
              <td class="number" data-field="tokens">${formatCount(summary.totalTokens)}</td>
              <td class="number">${formatCount(summary.tokensPerCompletedRun)}</td>
              <td class="number" data-field="cost">${costText(summary.costUsd, entries)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      report.summary.agreement
        ? html`<p id="agreement">
            Agreement of baseline and optimized, over the dates where both decided:
            <strong data-field="agreement">${agreementText(report)}</strong>.
          </p>`
        : ''
    }`;
}

function hitText(entry: BacktestEntry): string {
  const hit = decisionHit(entry.decision, entry.forwardReturn);
  return hit === undefined ? 'not scored' : hit ? 'hit' : 'miss';
}

function statusText(entry: BacktestEntry): string {
  return entry.reason === undefined ? entry.status : `${entry.status}: ${entry.reason}`;
}

function entryOrder(left: BacktestEntry, right: BacktestEntry): number {
  return (
    left.date.localeCompare(right.date) ||
    BACKTEST_MODE_ORDER.indexOf(left.mode) - BACKTEST_MODE_ORDER.indexOf(right.mode)
  );
}

function entryRow(entry: BacktestEntry, context: PageContext): SafeHtml {
  // A skipped run never started: it has no history in Temporal and no line in the ledger.
  const links =
    entry.status === 'skipped'
      ? ''
      : html`<a href="${runHref(entry.workflowId)}">run</a> ·
          <a href="${temporalWorkflowHref(context.temporalUi, entry.workflowId)}" rel="noreferrer"
            >Temporal ↗</a
          >`;
  return html`<tr class="backtest-entry" data-date="${entry.date}" data-mode="${entry.mode}">
    <td>${entry.date}</td>
    <td>${entry.mode}</td>
    <td data-field="decision">${entry.decision ?? 'none'}</td>
    <td class="number" data-field="forward-return">${formatSignedPercent(entry.forwardReturn, 2)}</td>
    <td data-field="hit">${hitText(entry)}</td>
    <td class="number" data-field="tokens">${formatCount(entry.totalTokens)}</td>
    <td class="number" data-field="cost">
      ${entry.status === 'skipped' ? UNKNOWN : formatUsd(entry.costUsd)}
    </td>
    <td data-field="status">${statusText(entry)}</td>
    <td data-field="links">${links}</td>
  </tr>`;
}

function datesTable(report: BacktestReport, context: PageContext): SafeHtml {
  return html`<table id="backtest-dates">
    <thead>
      <tr>
        <th>Date</th>
        <th>Mode</th>
        <th>Decision</th>
        <th class="number">Forward return</th>
        <th>Hit</th>
        <th class="number">Tokens</th>
        <th class="number">Cost</th>
        <th>Status</th>
        <th>Run</th>
      </tr>
    </thead>
    <tbody>
      ${[...report.entries].sort(entryOrder).map((entry) => entryRow(entry, context))}
    </tbody>
  </table>`;
}

function readablePage(listing: ReadableBacktest, context: PageContext): SafeHtml {
  const { report } = listing;
  return html`<h1>Backtest of ${report.ticker}, ${report.from} to ${report.to}</h1>
    ${notes(listing)} ${facts(listing, context)}
    <section>
      <h2>Per mode</h2>
      ${modesTable(report)}
    </section>
    <section>
      <h2>Tokens spent by date</h2>
      <div class="chart chart-short">
        <canvas data-chart="chart-backtest-tokens" role="img"></canvas>
      </div>
      <script type="application/json" id="chart-backtest-tokens">
        ${jsonForScript(backtestTokensChart(report.entries))}
      </script>
    </section>
    <section>
      <h2>Per date</h2>
      <p class="note">
        A hit is a BUY before the price rose, or a SELL before it fell, by the next date's close; HOLD, a run
        without a decision and a date without a next close are not scored.
      </p>
      ${datesTable(report, context)}
    </section>`;
}

/** The page of one backtest: per mode, the hit rate with its interval, tokens and cost; per date, each run. */
export function backtestPage(listing: BacktestListing, context: PageContext): string {
  const body = listing.readable
    ? readablePage(listing, context)
    : html`<h1>Backtest ${listing.id}</h1>
        <p class="warning" id="backtest-problem">${listing.problem}</p>
        <p><a href="/backtests">Back to the backtests</a></p>`;
  return layout({
    title: listing.readable ? `Backtest of ${listing.report.ticker}` : `Backtest ${listing.id}`,
    section: 'backtests',
    body,
    context,
  });
}
