import type { RunSummary } from '../../storage/usage-store';
import { callLabel, callTokensChart, predictionChart, type ChartConfig } from '../charts';
import {
  formatCount,
  formatDuration,
  formatPercent,
  formatSignedPercent,
  formatTimestamp,
  formatUsd,
  UNKNOWN,
} from '../format';
import { html, jsonForScript, type SafeHtml } from '../html';
import { temporalWorkflowHref } from '../links';
import type { AgentBreakdown, CallBreakdown, RunBreakdown } from '../run-breakdown';
import { layout, type PageContext } from './layout';

/** What the run page shows: the run's summary (absent while it runs) and its ledger broken down. */
export interface RunPageData {
  workflowId: string;
  summary?: RunSummary;
  breakdown: RunBreakdown;
}

function chart(id: string, config: ChartConfig, height: 'short' | 'tall'): SafeHtml {
  return html`<div class="chart chart-${height}"><canvas data-chart="${id}" role="img"></canvas></div>
    <script type="application/json" id="${id}">
      ${jsonForScript(config)}
    </script>`;
}

function fact(label: string, value: string | SafeHtml, field?: string): SafeHtml {
  const description =
    field === undefined ? html`<dd>${value}</dd>` : html`<dd data-field="${field}">${value}</dd>`;
  return html`<div>
    <dt>${label}</dt>
    ${description}
  </div>`;
}

function yesNo(value: boolean | undefined): string {
  if (value === undefined) return UNKNOWN;
  return value ? 'yes' : 'no';
}

function facts(data: RunPageData, context: PageContext): SafeHtml {
  const { summary, workflowId } = data;
  const models = [...new Set(data.breakdown.calls.map((call) => call.model))].join(', ');
  return html`<dl class="facts">
    ${fact('Ticker', summary?.ticker ?? UNKNOWN, 'ticker')} ${fact('Date', summary?.date ?? UNKNOWN)}
    ${fact('Mode', summary?.mode ?? UNKNOWN, 'mode')}
    ${fact('Decision', summary?.decision ?? 'none', 'decision')}
    ${fact('Budget status', summary?.budgetStatus ?? 'not finished', 'budget-status')}
    ${fact('Started', formatTimestamp(summary?.startedAt))}
    ${fact('Finished', formatTimestamp(summary?.finishedAt))}
    ${fact('Calibration', summary?.calibrationVersion ?? 'none')} ${fact('Model', models || UNKNOWN)}
    ${fact(
      'Temporal',
      html`<a href="${temporalWorkflowHref(context.temporalUi, workflowId)}" rel="noreferrer"
        >open in the Temporal UI ↗</a
      >`,
    )}
  </dl>`;
}

function figure(label: string, value: string, field: string, note?: string): SafeHtml {
  return html`<div class="figure">
    <div class="figure-label">${label}</div>
    <div class="figure-value" data-total="${field}">${value}</div>
    ${note === undefined ? '' : html`<div class="figure-note">${note}</div>`}
  </div>`;
}

function totals(data: RunPageData): SafeHtml {
  const { summary, breakdown } = data;
  const { totals: sums, compliance, prediction } = breakdown;
  const cap = summary?.budgetTokens;
  const capNote =
    cap !== undefined && cap > 0
      ? `${formatPercent(sums.totalTokens / cap)} of ${formatCount(cap)}`
      : undefined;
  const reduction =
    summary?.originalPromptTokens !== undefined &&
    summary.originalPromptTokens > 0 &&
    summary.promptTokens !== undefined
      ? 1 - summary.promptTokens / summary.originalPromptTokens
      : undefined;
  const costNote = sums.callsWithoutCost > 0 ? `${sums.callsWithoutCost} call(s) without a price` : undefined;
  return html`<div class="figures">
      ${figure('Total tokens', formatCount(sums.totalTokens), 'total-tokens', capNote)}
      ${figure('Prompt', formatCount(sums.promptTokens), 'prompt-tokens')}
      ${figure('Cached prompt', formatCount(sums.cachedPromptTokens), 'cached-prompt-tokens', 'part of the prompt')}
      ${figure('Completion', formatCount(sums.completionTokens), 'completion-tokens')}
      ${figure('Lost', formatCount(sums.lostTokens), 'lost-tokens', 'failed, lost or cancelled attempts')}
      ${figure('Cost', formatUsd(sums.costUsd), 'cost', costNote)}
      ${figure(
        'Prompt reduction',
        formatPercent(reduction),
        'prompt-reduction',
        summary?.originalPromptTokens === undefined
          ? undefined
          : `${formatCount(summary.originalPromptTokens)} before optimizing`,
      )}
      ${figure(
        'Word-limit compliance',
        formatPercent(compliance.rate),
        'compliance',
        `${compliance.compliant} of ${compliance.judged} answers; ${compliance.truncated} cut by the limiter`,
      )}
      ${figure(
        'Prediction error',
        formatPercent(prediction.meanAbsolutePercentageError),
        'prediction-error',
        `mean absolute, ${prediction.predictedCalls} call(s): ${formatCount(prediction.predictedTokens)} predicted, ${formatCount(prediction.actualTokens)} actual`,
      )}
    </div>
    ${reconciliation(data)}`;
}

/** Whether the calls in the ledger add up to the run's summary: the page says so rather than leave it to the eye. */
function reconciliation(data: RunPageData): SafeHtml {
  const { summary, breakdown } = data;
  if (!summary) {
    return html`<p class="note warning" id="reconciliation">
      No run summary yet: the run is in progress, or it stopped before it could write one. The figures are the
      ${breakdown.calls.length} call(s) recorded so far.
    </p>`;
  }
  if (summary.totalTokens === breakdown.totals.totalTokens) {
    return html`<p class="note" id="reconciliation">
      The ${breakdown.calls.length} recorded calls add up to the run summary's
      ${formatCount(summary.totalTokens)} tokens.
    </p>`;
  }
  return html`<p class="note warning" id="reconciliation">
    The recorded calls add up to ${formatCount(breakdown.totals.totalTokens)} tokens; the run summary says
    ${formatCount(summary.totalTokens)}.
  </p>`;
}

function agentRow(agent: AgentBreakdown): SafeHtml {
  return html`<tr data-agent="${agent.agent}">
    <td>${agent.agent}</td>
    <td class="number">${agent.calls}</td>
    <td class="number">${formatCount(agent.promptTokens)}</td>
    <td class="number">${formatCount(agent.cachedPromptTokens)}</td>
    <td class="number">${formatCount(agent.completionTokens)}</td>
    <td class="number">${formatCount(agent.lostTokens)}</td>
    <td class="number">${formatCount(agent.totalTokens)}</td>
    <td class="number">${formatUsd(agent.costUsd)}</td>
  </tr>`;
}

function words(call: CallBreakdown): string {
  const kept =
    call.rawWords === call.words
      ? formatCount(call.words)
      : `${formatCount(call.rawWords)} → ${formatCount(call.words)}`;
  return call.wordLimit === undefined ? kept : `${kept} / ${formatCount(call.wordLimit)}`;
}

function callRows(call: CallBreakdown): SafeHtml {
  const key = html`data-call-id="${call.callId}" data-run-id="${call.runId}"`;
  const attempts = call.attempts.map(
    (attempt) =>
      html`<tr class="attempt" ${key} data-attempt="${attempt.attempt}">
        <td>
          attempt ${attempt.attempt}:
          ${attempt.outcome}${attempt.failureType ? ` (${attempt.failureType})` : ''}
        </td>
        <td class="number">${formatCount(attempt.promptTokens)}</td>
        <td></td>
        <td class="number">${formatCount(attempt.completionTokens)}</td>
        <td colspan="12">
          ${attempt.source}${attempt.recordedAt ? `, ${formatTimestamp(attempt.recordedAt)}` : ''}
        </td>
      </tr>`,
  );
  return html`<tr class="call" ${key}>
      <td>${callLabel(call)}</td>
      <td class="number" data-field="prompt-tokens">${formatCount(call.promptTokens)}</td>
      <td class="number" data-field="cached-prompt-tokens">${formatCount(call.cachedPromptTokens)}</td>
      <td class="number" data-field="completion-tokens">${formatCount(call.completionTokens)}</td>
      <td class="number" data-field="lost-tokens">${formatCount(call.lostTokens)}</td>
      <td class="number" data-field="total-tokens">${formatCount(call.totalTokens)}</td>
      <td class="number" data-field="max-tokens">${formatCount(call.maxTokens)}</td>
      <td class="number" data-field="predicted-tokens">${formatCount(call.predictedTokens)}</td>
      <td class="number" data-field="prediction-error">${formatSignedPercent(call.predictionError)}</td>
      <td class="number" data-field="words">${words(call)}</td>
      <td data-field="raw-compliant">${yesNo(call.rawCompliant)}</td>
      <td data-field="finish-reason">${call.finishReason ?? UNKNOWN}</td>
      <td data-field="usage-source">${call.usageSource}</td>
      <td class="number" data-field="attempts">${call.attempts.length}</td>
      <td class="number">${formatDuration(call.latencyMs)}</td>
      <td class="number" data-field="cost">${formatUsd(call.costUsd)}</td>
    </tr>
    ${attempts}`;
}

function callsTable(breakdown: RunBreakdown): SafeHtml {
  return html`<table id="calls">
    <thead>
      <tr>
        <th>Call</th>
        <th class="number">Prompt</th>
        <th class="number">Cached</th>
        <th class="number">Completion</th>
        <th class="number">Lost</th>
        <th class="number">Total</th>
        <th class="number">max_tokens</th>
        <th class="number">Predicted</th>
        <th class="number">Error</th>
        <th class="number">Words / limit</th>
        <th>Kept limit</th>
        <th>Ended</th>
        <th>Figures</th>
        <th class="number">Attempts</th>
        <th class="number">Latency</th>
        <th class="number">Cost</th>
      </tr>
    </thead>
    <tbody>
      ${breakdown.calls.map(callRows)}
    </tbody>
  </table>`;
}

/** The run page: where every token went, per agent and per call and attempt, with the run's facts. */
export function runPage(data: RunPageData, context: PageContext): string {
  const { breakdown } = data;
  return layout({
    title: `Run ${data.workflowId}`,
    body: html`<h1>Run <span id="workflow-id">${data.workflowId}</span></h1>
      ${facts(data, context)} ${totals(data)}
      <section>
        <h2>Where the tokens went</h2>
        ${
          breakdown.calls.length === 0
            ? html`<p class="note">No call recorded.</p>`
            : chart('chart-call-tokens', callTokensChart(breakdown), 'tall')
        }
        <table id="agents">
          <thead>
            <tr>
              <th>Agent</th>
              <th class="number">Calls</th>
              <th class="number">Prompt</th>
              <th class="number">Cached</th>
              <th class="number">Completion</th>
              <th class="number">Lost</th>
              <th class="number">Total</th>
              <th class="number">Cost</th>
            </tr>
          </thead>
          <tbody>
            ${breakdown.agents.map(agentRow)}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Calls and attempts</h2>
        <p class="note">
          Cached tokens are part of the prompt; lost tokens are what earlier attempts of a call spent. Figures
          come from the server's usage, an estimate, or the reservation when nothing was known.
        </p>
        ${callsTable(breakdown)}
      </section>
      <section>
        <h2>Predicted and actual completion</h2>
        ${
          breakdown.prediction.predictedCalls === 0
            ? html`<p class="note">No call carried a prediction.</p>`
            : chart('chart-prediction', predictionChart(breakdown), 'short')
        }
      </section>`,
    context,
  });
}
