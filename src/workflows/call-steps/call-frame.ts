import type { BudgetLine } from '../../core/agents';
import { availableFor } from '../../core/budget';
import type { EffectiveAgentSettings } from '../../core/agent-settings';
import type { AgentCallRequest, PipelineRunState } from '../agent-call';
import type { PipelineProxies } from '../pipeline-proxies';

/** One agent call as its steps see it: the run, the request, and what was settled for it once. */
export interface CallFrame {
  state: PipelineRunState;
  proxies: PipelineProxies;
  call: AgentCallRequest;
  /** The agent's effective settings in this run (configured, calibrated, mode). */
  agent: EffectiveAgentSettings;
  callId: string;
  /** How degradations name the call: `bull_researcher round 2`, `risk_manager round 1/repair`. */
  label: string;
  line: BudgetLine;
  /** The run pauses instead of degrading, and this call has not yet paused until its timeout. */
  pausable: boolean;
  /** Why the budget could not pay for the call, when the call is to pause rather than degrade. */
  shortfall?: string;
}

/** Fewest response tokens worth paying a prompt for. */
export const MINIMUM_RESPONSE_TOKENS = 48;

/** Our count of a prompt may differ from the server's by a few tokens; reserve a margin so the cap holds. */
export function promptMargin(promptTokens: number): number {
  return Math.ceil(promptTokens * 0.02) + 8;
}

/** Tokens the call's budget line can give it now (concurrent calls may have reserved since the last look). */
export function availableTo(frame: CallFrame): number {
  return availableFor(frame.state.budget, frame.line, frame.call.roundsLeft);
}

/**
 * The budget cannot pay for the call: a degradation, or, when the call may pause, the reason it pauses (the
 * step then returns undefined without degrading).
 */
export function budgetShortfall(frame: CallFrame, reason: string): void {
  // After an overrun the run reserves nothing more, whatever its cap: a raise cannot help, so it degrades.
  const overrun = (frame.state.budget.overruns ?? []).length > 0;
  if (frame.pausable && !overrun) frame.shortfall = reason;
  else frame.state.degradations.push(reason);
}
