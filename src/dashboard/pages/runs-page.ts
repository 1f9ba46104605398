import type { RunSummary } from '../../storage/usage-store';
import { formatCount, formatPercent, formatTimestamp, formatUsd, UNKNOWN } from '../format';
import { html, type SafeHtml } from '../html';
import { runHref, temporalWorkflowHref } from '../links';
import {
  DEFAULT_RUN_LIST_LIMIT,
  PIPELINE_MODES,
  RUN_BUDGET_STATUSES,
  RUN_DECISIONS,
  runListSearch,
  type RunListQuery,
} from '../query-parameters';
import { layout, type PageContext } from './layout';

/** What the runs page shows: the page of runs the query selected and whether older ones follow. */
export interface RunsPageData {
  query: RunListQuery;
  runs: RunSummary[];
  hasMore: boolean;
}

function options(values: readonly string[], selected: string | undefined): SafeHtml {
  return html`<option value="">any</option>
    ${values.map((value) =>
      value === selected
        ? html`<option value="${value}" selected>${value}</option>`
        : html`<option value="${value}">${value}</option>`,
    )}`;
}

function filterForm(query: RunListQuery): SafeHtml {
  return html`<form id="run-filter" class="filters" method="get" action="/">
    <label>Ticker <input name="ticker" value="${query.ticker ?? ''}" placeholder="any" size="8" /></label>
    <label
      >Mode
      <select name="mode">
        ${options(PIPELINE_MODES, query.mode)}
      </select></label
    >
    <label
      >Decision
      <select name="decision">
        ${options(RUN_DECISIONS, query.decision)}
      </select></label
    >
    <label
      >Budget status
      <select name="budgetStatus">
        ${options(RUN_BUDGET_STATUSES, query.budgetStatus)}
      </select></label
    >
    <label>Started since <input type="date" name="since" value="${query.since ?? ''}" /></label>
    ${query.limit === DEFAULT_RUN_LIST_LIMIT ? '' : html`<input type="hidden" name="limit" value="${query.limit}" />`}
    <button type="submit">Apply</button>
    <a href="/">Clear</a>
  </form>`;
}

function runRow(run: RunSummary, context: PageContext): SafeHtml {
  const capShare =
    run.budgetTokens !== undefined && run.budgetTokens > 0 ? run.totalTokens / run.budgetTokens : undefined;
  return html`<tr data-workflow-id="${run.workflowId}">
    <td>${formatTimestamp(run.startedAt)}</td>
    <td><a href="${runHref(run.workflowId)}">${run.workflowId}</a></td>
    <td data-field="ticker">${run.ticker}</td>
    <td>${run.date}</td>
    <td data-field="mode">${run.mode}</td>
    <td data-field="decision">${run.decision ?? 'none'}</td>
    <td class="number" data-field="total-tokens">${formatCount(run.totalTokens)}</td>
    <td class="number">${formatCount(run.budgetTokens)}</td>
    <td class="number">${formatPercent(capShare)}</td>
    <td class="number">${formatUsd(run.costUsd)}</td>
    <td data-field="budget-status">
      <span class="status status-${run.budgetStatus}">${run.budgetStatus}</span>
    </td>
    <td>${run.calibrationVersion ?? UNKNOWN}</td>
    <td>
      <a href="${temporalWorkflowHref(context.temporalUi, run.workflowId)}" rel="noreferrer">Temporal ↗</a>
    </td>
  </tr>`;
}

function pageLinks(data: RunsPageData): SafeHtml {
  const { query } = data;
  const newer =
    query.offset > 0
      ? html`<a
          rel="prev"
          href="/${runListSearch({ ...query, offset: Math.max(0, query.offset - query.limit) })}"
          >← Newer</a
        >`
      : '';
  const older = data.hasMore
    ? html`<a rel="next" href="/${runListSearch({ ...query, offset: query.offset + query.limit })}"
        >Older →</a
      >`
    : '';
  return html`<p class="pages">${newer} ${older}</p>`;
}

function recentRuns(data: RunsPageData, context: PageContext): SafeHtml {
  const { query, runs } = data;
  const shown =
    runs.length === 0
      ? 'No run matches these filters.'
      : `Runs ${query.offset + 1} to ${query.offset + runs.length}, newest first.`;
  return html`<section id="recent">
    <h2>Recent runs</h2>
    ${filterForm(query)}
    <p id="run-count" class="note" data-rows="${runs.length}">${shown}</p>
    <table id="runs">
      <thead>
        <tr>
          <th>Started</th>
          <th>Run</th>
          <th>Ticker</th>
          <th>Date</th>
          <th>Mode</th>
          <th>Decision</th>
          <th class="number">Tokens</th>
          <th class="number">Cap</th>
          <th class="number">Of cap</th>
          <th class="number">Cost</th>
          <th>Budget</th>
          <th>Calibration</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${runs.map((run) => runRow(run, context))}
      </tbody>
    </table>
    ${pageLinks(data)}
  </section>`;
}

/**
 * The live section starts empty: the browser script fills it from `/api/live` at once and every 1.5 s, so the
 * page itself never waits on Temporal.
 */
function liveRuns(): SafeHtml {
  return html`<section id="live">
    <h2>Runs in progress</h2>
    <p id="live-status" class="note" role="status">Asking Temporal for the running analyses…</p>
    <table id="live-runs" data-source="/api/live" data-interval-ms="1500">
      <thead>
        <tr>
          <th>Run</th>
          <th>Ticker</th>
          <th>Mode</th>
          <th>Phase</th>
          <th>Agents done</th>
          <th>Tokens / cap</th>
          <th class="number">Cost</th>
          <th>Now running</th>
          <th>Budget</th>
          <th></th>
        </tr>
      </thead>
      <tbody></tbody>
    </table>
  </section>`;
}

/** The runs page: runs in progress (live) and the ledger's recent runs with their filters. */
export function runsPage(data: RunsPageData, context: PageContext): string {
  return layout({
    title: 'Runs',
    section: 'runs',
    body: html`<h1>Runs</h1>
      ${liveRuns()} ${recentRuns(data, context)}`,
    context,
  });
}
