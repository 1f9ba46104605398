import { agentLabel, isRepairCall } from '../core/agents';
import { FINISH_REASON } from '../core/finish-reasons';
import type { AnalysisResult, CallSummary, RunProgress } from '../core/run-types';

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function usd(value: number | undefined): string {
  if (value === undefined) return 'n/a';
  return value < 0.01 ? `$${value.toFixed(6)}` : `$${value.toFixed(4)}`;
}

/** Link to a run in the Temporal UI. */
export function workflowUiLink(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function rationaleLimited(call: CallSummary, mode: string): boolean {
  return mode === 'optimized' && call.agent === 'risk_manager' && !call.limitEnforced;
}

function callRow(call: CallSummary, mode: string): string {
  const marker = call.truncated ? '*' : rationaleLimited(call, mode) ? '+' : '';
  const words = call.wordLimit !== undefined ? `${call.words}/${call.wordLimit}${marker}` : `${call.words}`;
  const name = `${agentLabel(call.agent)}${call.round > 1 ? ` r${call.round}` : ''}${isRepairCall(call.callId) ? ' (repair)' : ''}`;
  return [
    pad(name, 26),
    pad(String(call.promptTokens), 8, true),
    pad(`${call.completionTokens}${call.finishReason === FINISH_REASON.repetition ? '~' : ''}`, 8, true),
    pad(String(call.lostTokens), 6, true),
    pad(String(call.maxTokens), 8, true),
    pad(words, 10, true),
    pad(usd(call.costUsd), 11, true),
  ].join(' ');
}

/** The decision and token report printed at the end of `tokenflow analyze` and by `tokenflow result`. */
export function renderReport(result: AnalysisResult, link: string): string {
  const lines: string[] = [];
  const request = result.request;
  lines.push(
    `tokenflow analysis of ${request.ticker} on ${request.date} (${request.mode}, ${result.provider}: ${result.model})`,
  );
  lines.push(`Data: ${result.dataSource}`);
  if (result.calibrationVersion) lines.push(`Calibration: ${result.calibrationVersion}`);
  lines.push('');
  if (result.decision) {
    const decision = result.decision;
    const levels = [
      decision.entryPrice !== undefined ? `entry ${decision.entryPrice}` : undefined,
      decision.stopLoss !== undefined ? `stop ${decision.stopLoss}` : undefined,
      decision.takeProfit !== undefined ? `target ${decision.takeProfit}` : undefined,
    ].filter(Boolean);
    lines.push(
      `DECISION: ${decision.action}  (confidence ${(decision.confidence * 100).toFixed(0)}%)${levels.length ? `  ${levels.join(', ')}` : ''}`,
    );
    lines.push(`Rationale: ${decision.rationale}`);
  } else {
    lines.push(
      `DECISION: none (${result.status === 'cancelled' ? `cancelled: ${result.cancelReason}` : (result.noDecisionReason ?? 'see degradations')})`,
    );
  }
  lines.push('');
  lines.push('Token report');
  lines.push(
    [
      pad('agent', 26),
      pad('prompt', 8, true),
      pad('complet.', 8, true),
      pad('lost', 6, true),
      pad('max', 8, true),
      pad('words/lim', 10, true),
      pad('cost', 11, true),
    ].join(' '),
  );
  for (const call of result.calls) lines.push(callRow(call, request.mode));
  const totals = result.totals;
  lines.push(
    [
      pad('total', 26),
      pad(String(totals.promptTokens), 8, true),
      pad(String(totals.completionTokens), 8, true),
      pad(String(totals.lostTokens), 6, true),
      pad('', 8),
      pad('', 10),
      pad(usd(totals.costUsd), 11, true),
    ].join(' '),
  );
  const used = ((totals.totalTokens / result.budget.hardCap) * 100).toFixed(1);
  lines.push(
    `Run total: ${totals.totalTokens} of ${result.budget.hardCap} tokens (${used}%), budget ${result.budgetStatus}; wall time ${(totals.wallTimeMs / 1000).toFixed(1)} s`,
  );
  if (result.calls.some((call) => call.finishReason === FINISH_REASON.repetition))
    lines.push('~ stopped when the answer started repeating itself; the answer ends before the repeat');
  if (result.calls.some((call) => call.truncated))
    lines.push('* cut at the last full sentence within the word limit');
  if (result.calls.some((call) => rationaleLimited(call, request.mode)))
    lines.push("+ the risk manager's word limit applies to its decision's rationale, cut the same way");
  if (result.degradations.length > 0) {
    lines.push('Degradations:');
    for (const degradation of result.degradations) lines.push(`  - ${degradation}`);
  }
  lines.push('');
  lines.push(`Temporal UI: ${link}`);
  return lines.join('\n');
}

/** One live line of progress for a TTY. */
export function renderProgress(progress: RunProgress): string {
  const agents = progress.currentAgents.map((agent) => agentLabel(agent)).join(', ');
  const bar = Math.round((progress.tokensSpent / Math.max(1, progress.hardCap)) * 20);
  const line = `[${'#'.repeat(Math.min(20, bar)).padEnd(20)}] ${progress.tokensSpent}/${progress.hardCap} tokens  ${progress.completedCalls}/${progress.plannedCalls} calls  ${progress.phase}${agents ? `: ${agents}` : ''}`;
  const paused = progress.paused ?? [];
  return paused.length === 0 ? line : `${line}  PAUSED: ${paused.join('; ')}`;
}
