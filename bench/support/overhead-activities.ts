import type { StepToken } from './overhead-types';

/**
 * Trivial activities: all the time a workflow spends on them is orchestration (scheduling, dispatch,
 * completion, history), which is what the bench measures.
 */
export function createOverheadActivities() {
  return {
    async step(token: StepToken): Promise<StepToken> {
      return { ...token, completedSteps: token.completedSteps + 1 };
    },
  };
}

export type OverheadActivities = ReturnType<typeof createOverheadActivities>;
