import { agentLabel, isRepairCall, type AgentName } from '../core/agents';
import { attemptTokens, type AttemptRecord, type UsageSource } from '../core/ledger';

/** What the ledger view reads of a call: a usage record (finished runs) or a call summary (running ones). */
export interface LedgerCall {
  callId: string;
  agent: AgentName;
  round: number;
  promptTokens: number;
  completionTokens: number;
  lostTokens: number;
  usageSource: UsageSource | string;
  finishReason?: string;
  attemptRecords?: AttemptRecord[];
}

const SOURCE_NOTES: Record<string, string> = {
  server: 'server',
  estimated: 'estimate',
  counted: 'estimate',
  reserved: 'reserved',
};

/**
 * `tokenflow usage <id>`: every call and every attempt of it, with how each ended and where its figures came
 * from, and the total to hold against the provider's bill.
 */
export function renderLedger(workflowId: string, calls: readonly LedgerCall[]): string {
  const lines = [`Token ledger of ${workflowId}`];
  let total = 0;
  let estimated = 0;
  for (const call of calls) {
    const spent = call.promptTokens + call.completionTokens + call.lostTokens;
    total += spent;
    const name = `${agentLabel(call.agent)}${call.round > 1 ? ` r${call.round}` : ''}${isRepairCall(call.callId) ? ' (repair)' : ''}`;
    lines.push(`${name.padEnd(28)}${String(spent).padStart(7)} tokens  ${call.finishReason ?? ''}`.trimEnd());
    const attempts = call.attemptRecords ?? [];
    for (const attempt of attempts) {
      if (attempt.source !== 'server') estimated += attemptTokens(attempt);
      const failure = attempt.failureType ? ` (${attempt.failureType})` : '';
      lines.push(
        `  attempt ${attempt.attempt}  ${`${attempt.outcome}${failure}`.padEnd(26)}${String(attempt.promptTokens).padStart(7)} prompt${String(attempt.completionTokens).padStart(7)} completion  ${SOURCE_NOTES[attempt.source] ?? attempt.source}`,
      );
    }
    if (attempts.length === 0 && call.usageSource !== 'server') estimated += spent;
  }
  lines.push(
    `Total: ${total} tokens over ${calls.length} calls; ${estimated} of them estimated (streams tokenflow stopped or lost, scaled by the endpoint's tokenizer drift), the rest as the server reported them.`,
  );
  return lines.join('\n');
}
