import { condition, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { budgetStatusKey } from '../config/search-attributes';
import type { AnalysisRun } from './run-state';

/** How long a run pauses when its settings say pause but give no timeout. */
const DEFAULT_PAUSE_SECONDS = 24 * 3600;

/** Search attribute value of a paused run (`TokenflowBudgetStatus = "paused"` finds them in the Temporal UI). */
export const PAUSED_STATUS = 'paused';

function pauseSeconds(run: AnalysisRun): number {
  return run.input.settings.pauseTimeoutSeconds ?? DEFAULT_PAUSE_SECONDS;
}

/** Shows the run's pauses where people look: its search attribute and its current details in the Temporal UI. */
function showPauses(run: AnalysisRun): void {
  const reasons = [...run.pauses.values()];
  upsertSearchAttributes([{ key: budgetStatusKey, value: reasons.length > 0 ? PAUSED_STATUS : 'running' }]);
  setCurrentDetails(
    reasons.length > 0
      ? `**Paused** (raise with \`tokenflow budget <workflowId> --raise N\`):\n${reasons.map((reason) => `- ${reason}`).join('\n')}`
      : '',
  );
}

/**
 * Pauses the run until `resumes()` holds or the pause timeout passes: no worker is held while it waits (a
 * durable timer and a condition). Returns whether it resumed; false means the timeout passed and the caller
 * degrades as it would have without pausing.
 */
export async function pauseRun(
  run: AnalysisRun,
  key: string,
  reason: string,
  resumes: () => boolean,
): Promise<boolean> {
  const seconds = pauseSeconds(run);
  run.pauses.set(key, `${reason} (paused at ${new Date(Date.now()).toISOString()}, at most ${seconds} s)`);
  showPauses(run);
  try {
    return await condition(resumes, `${seconds}s`);
  } finally {
    run.pauses.delete(key);
    showPauses(run);
  }
}

/**
 * The pipeline's pause for a call its budget cannot pay for: it waits until the hard cap rises above what it is
 * now (`tokenflow budget <id> --raise N`); undefined when the run degrades instead.
 */
export function budgetPauseOf(
  run: AnalysisRun,
): ((label: string, reason: string) => Promise<boolean>) | undefined {
  if (run.input.settings.onExhausted !== 'pause') return undefined;
  return async (label, reason) => {
    const { budget } = run.pipeline;
    const capBefore = budget.hardCap;
    const resumed = await pauseRun(run, label, reason, () => budget.hardCap > capBefore);
    if (!resumed)
      run.pipeline.degradations.push(
        `${label}: paused ${pauseSeconds(run)} s without a raise, then degraded`,
      );
    return resumed;
  };
}
