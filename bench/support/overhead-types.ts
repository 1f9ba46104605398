/**
 * Shared by the orchestration-overhead bench, its workflow and its activities. No Node built-ins here: the
 * workflow bundle imports this file.
 */

/** The six steps of one tokenflow agent call, in pipeline order (see src/workflows/agent-call.ts and src/workflows/call-steps/). */
export const AGENT_CALL_STEPS = ['enhance', 'optimize', 'predict', 'invoke', 'limit', 'track'] as const;
export type AgentCallStep = (typeof AGENT_CALL_STEPS)[number];

/**
 * How one step is scheduled: a local activity (run by the worker inside the workflow task, recorded as a
 * marker), a normal activity through the server's task queue, or a normal activity that the server may hand
 * straight back to the worker in its workflow-task response (eager dispatch).
 */
export type StepExecution = 'local' | 'normal' | 'eager';

/** What each simulated agent call runs: one execution kind per step of {@link AGENT_CALL_STEPS}. */
export type StepPlan = Record<AgentCallStep, StepExecution>;

export interface OverheadWorkflowInput {
  agentCalls: number;
  plan: StepPlan;
}

/** The token passed from step to step, so each activity depends on the previous one as in a real call. */
export interface StepToken {
  call: number;
  step: AgentCallStep;
  completedSteps: number;
}

export interface OverheadWorkflowResult {
  completedSteps: number;
}
