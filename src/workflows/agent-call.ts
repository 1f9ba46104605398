import { workflowInfo } from '@temporalio/workflow';
import type { AgentName, BudgetLine } from '../core/agents';
import { effectiveAgentSettings, type RunCalibration } from '../core/agent-settings';
import type { BudgetState } from '../core/budget';
import type { AnalysisRequest, CallSummary, RunSettings } from '../core/run-types';
import type { TokenizerDrift } from '../core/tokenizer-drift';
import type { AgentContext } from '../core/types';
import type { OptimizedPrompt } from '../core/prompt-optimizer';
import type { CallFrame } from './call-steps/call-frame';
import { invokeStep, usageBaseOf } from './call-steps/invoke-step';
import { limitStep } from './call-steps/limit-step';
import { planResponse, type ResponsePlan } from './call-steps/plan-response';
import { preparePrompt } from './call-steps/prepare-prompt';
import { answeredCallSummary, trackCall } from './call-steps/usage-tracker';
import type { PipelineProxies } from './pipeline-proxies';

export interface AgentCallRequest {
  agent: AgentName;
  round: number;
  totalRounds: number;
  /** Rounds this agent still has, including this one (its line keeps a share for them). */
  roundsLeft: number;
  context: AgentContext;
  budgetLine?: BudgetLine;
  repair?: { malformedAnswer: string; error: string };
  /** Skip the word-limit step (the risk manager's decision is limited on its rationale). */
  skipLimit?: boolean;
  callSuffix?: string;
  /** Structured output for this call (the decision repair). */
  jsonSchema?: Readonly<Record<string, unknown>>;
}

export interface AgentCallOutcome {
  text: string;
  summary: CallSummary;
}

/** What the pipeline needs from the workflow: settings, budget and a place to put outcomes. */
export interface PipelineRunState {
  request: AnalysisRequest;
  settings: RunSettings;
  budget: BudgetState;
  calibration?: RunCalibration;
  calls: CallSummary[];
  degradations: string[];
  /** The endpoint's tokenizer drift as the run has learned it so far (calibration, then every call). */
  drift: TokenizerDrift;
  onCallFinished: (summary: CallSummary) => void;
  /**
   * Set when the run pauses instead of degrading: waits for a raise of the budget (true) or for the pause timeout
   * (false, the call then degrades).
   */
  pauseForBudget?: (label: string, reason: string) => Promise<boolean>;
}

/**
 * One agent call through the token pipeline: enhance -> optimize -> predict -> invoke -> limit -> track.
 * Returns undefined when the budget cannot pay for the call even with a trimmed prompt (the reason is
 * recorded in `state.degradations`); throws a non-retryable failure when the model call fails for good.
 */
export async function runAgentCall(
  state: PipelineRunState,
  proxies: PipelineProxies,
  call: AgentCallRequest,
): Promise<AgentCallOutcome | undefined> {
  const suffix = call.callSuffix ?? '';
  const frame: CallFrame = {
    state,
    proxies,
    call,
    agent: effectiveAgentSettings(call.agent, state.settings, state.request.mode, state.calibration),
    callId: `${workflowInfo().workflowId}/${call.agent}/${call.round}${suffix}`,
    label: `${call.agent} round ${call.round}${suffix}`,
    line: call.budgetLine ?? call.agent,
    pausable: state.pauseForBudget !== undefined,
  };
  const prepared = await prepareCall(frame);
  if (!prepared) return undefined;
  const { prompt, plan } = prepared;
  const result = await invokeStep(frame, prompt, plan);
  if (!result) return undefined;
  const limited = await limitStep(frame, result);
  const summary = answeredCallSummary(frame, prompt, plan, result, limited);
  await trackCall(frame, summary, {
    ...usageBaseOf(frame),
    ...(result.localUsage
      ? {
          localPromptTokens: result.localUsage.inputTokens,
          localCompletionTokens: result.localUsage.outputTokens,
        }
      : {}),
  });
  return { text: limited.text, summary };
}

/**
 * The prompt and the budget reservation of a call. When the budget cannot pay for it and the run pauses instead
 * of degrading, the call waits for a raise and tries again (a finished call is never redone); once the pause
 * times out it degrades as it would have at once.
 */
async function prepareCall(
  frame: CallFrame,
): Promise<{ prompt: OptimizedPrompt; plan: ResponsePlan } | undefined> {
  for (;;) {
    const prompt = await preparePrompt(frame);
    const plan = prompt && (await planResponse(frame, prompt));
    if (prompt && plan) return { prompt, plan };
    const shortfall = frame.shortfall;
    if (shortfall === undefined || !frame.state.pauseForBudget) return undefined;
    frame.shortfall = undefined;
    if (!(await frame.state.pauseForBudget(frame.label, shortfall))) frame.pausable = false;
  }
}
