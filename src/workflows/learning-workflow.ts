import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { CalibrationActivities, LearningScope } from '../activities/calibration-activities';
import { recalibrate } from '../core/calibration';

export interface LearningResult {
  version: string;
  reasons: string[];
  agentsCalibrated: number;
}

/**
 * Recalibrates per-agent predictions, word limits and allocations from recorded usage and writes a new
 * calibration version. Runs on a Temporal Schedule (and by hand with `tokenflow learn`); analyses load the
 * active version at their start through an activity, so their replay stays deterministic.
 */
export async function learningWorkflow(scope: LearningScope = {}): Promise<LearningResult> {
  const { collectLearningInputs, saveCalibration } = proxyActivities<CalibrationActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
  });
  const inputs = await collectLearningInputs(scope);
  const now = new Date(Date.now()).toISOString();
  const version = `cal-${now.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${workflowInfo().runId.slice(0, 8)}`;
  const calibration = recalibrate(inputs, version, now);
  await saveCalibration(calibration);
  return {
    version,
    reasons: calibration.reasons,
    agentsCalibrated: Object.keys(calibration.agents).length,
  };
}
