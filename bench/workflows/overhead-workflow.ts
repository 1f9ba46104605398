import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { OverheadActivities } from '../support/overhead-activities';
import {
  AGENT_CALL_STEPS,
  type OverheadWorkflowInput,
  type OverheadWorkflowResult,
  type StepExecution,
  type StepToken,
} from '../support/overhead-types';

const timeouts = { startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } } as const;

const proxies: Record<StepExecution, OverheadActivities> = {
  local: proxyLocalActivities<OverheadActivities>(timeouts),
  normal: proxyActivities<OverheadActivities>({ ...timeouts, allowEagerDispatch: false }),
  eager: proxyActivities<OverheadActivities>({ ...timeouts, allowEagerDispatch: true }),
};

/**
 * Runs `agentCalls` simulated agent calls, each the six pipeline steps in sequence, every step scheduled as
 * its plan says. With zero calls it measures the cost of starting and completing a workflow alone.
 */
export async function overheadWorkflow(input: OverheadWorkflowInput): Promise<OverheadWorkflowResult> {
  let completedSteps = 0;
  for (let call = 0; call < input.agentCalls; call += 1) {
    for (const step of AGENT_CALL_STEPS) {
      const token: StepToken = { call, step, completedSteps };
      completedSteps = (await proxies[input.plan[step]].step(token)).completedSteps;
    }
  }
  return { completedSteps };
}
