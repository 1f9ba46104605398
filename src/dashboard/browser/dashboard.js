// The dashboard's only browser script, served as is (no build step). It draws the charts whose Chart.js
// configurations the server embedded, and keeps the "Runs in progress" table current by polling /api/live.
// It builds every element with textContent, never innerHTML: text from the ledger or Temporal stays text.
'use strict';

(function dashboard() {
  function drawCharts() {
    if (typeof window.Chart !== 'function') return;
    for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) continue;
      new window.Chart(canvas, JSON.parse(source.textContent));
    }
  }

  function cell(text, className) {
    const element = document.createElement('td');
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }

  function link(text, href, external) {
    const element = document.createElement('a');
    element.textContent = text;
    element.href = href;
    if (external) element.rel = 'noreferrer';
    return element;
  }

  function progressCell(field, text, value, maximum) {
    const element = cell('');
    const label = document.createElement('span');
    label.dataset.field = field;
    label.textContent = text;
    element.append(label);
    if (typeof value === 'number' && typeof maximum === 'number' && maximum > 0) {
      const bar = document.createElement('progress');
      bar.max = maximum;
      bar.value = Math.min(value, maximum);
      element.append(' ', bar);
    }
    return element;
  }

  function liveRow(run) {
    const row = document.createElement('tr');
    row.dataset.workflowId = run.workflowId;
    const name = cell('');
    name.append(link(run.workflowId, run.href, false));
    row.append(
      name,
      cell(run.ticker),
      cell(run.mode),
      cell(run.problem ? run.problem : run.phase, run.problem ? 'warning' : ''),
      progressCell('agents-done', run.agentsDone, run.completedCalls, run.plannedCalls),
      progressCell('tokens', `${run.tokens} (${run.tokensPercent})`, run.tokensSpent, run.hardCap),
      cell(run.cost, 'number'),
      cell(run.currentAgents),
      cell(run.budgetStatus),
    );
    const temporal = cell('');
    temporal.append(link('Temporal ↗', run.temporalHref, true));
    row.append(temporal);
    // Kept apart from the label so a test (or a script) can read the figure without parsing text.
    if (typeof run.tokensSpent === 'number') row.dataset.tokensSpent = String(run.tokensSpent);
    if (typeof run.completedCalls === 'number') row.dataset.completedCalls = String(run.completedCalls);
    return row;
  }

  function showLive(table, status, answer) {
    const body = table.tBodies[0];
    body.replaceChildren(...answer.runs.map(liveRow));
    const checked = new Date(answer.checkedAt).toLocaleTimeString();
    status.textContent =
      answer.runs.length === 0
        ? `No run in progress (checked ${checked}).`
        : `${answer.runs.length} run(s) in progress (checked ${checked}).`;
    status.classList.remove('warning');
  }

  function showProblem(status, message) {
    status.textContent = message;
    status.classList.add('warning');
  }

  function pollLiveRuns() {
    const table = document.getElementById('live-runs');
    const status = document.getElementById('live-status');
    if (!table || !status) return;
    const interval = Number(table.dataset.intervalMs) || 1500;
    async function poll() {
      try {
        const response = await fetch(table.dataset.source, { cache: 'no-store' });
        const answer = await response.json();
        if (response.ok) showLive(table, status, answer);
        else showProblem(status, answer.error || `The dashboard answered ${response.status}.`);
      } catch (error) {
        showProblem(status, `The dashboard cannot be reached (${error.message}); is it still running?`);
      } finally {
        // The next poll waits for this one, so a slow Temporal never piles requests up.
        window.setTimeout(poll, interval);
      }
    }
    void poll();
  }

  function start() {
    drawCharts();
    pollLiveRuns();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
