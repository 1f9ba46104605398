import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ComparisonActivities } from '../activities/comparison-activities';
import type { AnalysisRequest, AnalysisResult, RunSettings } from '../core/run-types';
import { analysisWorkflow } from './analysis-workflow';

export interface CompareInput {
  request: Omit<AnalysisRequest, 'mode'>;
  /** Settings of the optimized run (the run's real budget). */
  optimized: RunSettings;
  /** Settings of the baseline run: the origin project's behaviour, with a cap high enough not to bind. */
  baseline: RunSettings;
}

export interface CompareResult {
  baselineWorkflowId: string;
  optimizedWorkflowId: string;
  reportMarkdownPath: string;
  reportJsonPath: string;
  summary: {
    tokenRatio: number;
    costRatio?: number;
    decisionsAgree: boolean;
    optimizedFactRecall: number;
  };
}

/**
 * A/B harness: the same inputs run as `baseline` (no enhancer, optimizer, limiter or context management)
 * and as `optimized`, as two child workflows, one after the other so their wall times do not compete for
 * the CPU; then an activity writes the side-by-side report from both runs' real prompts.
 */
export async function compareWorkflow(input: CompareInput): Promise<CompareResult> {
  const parentId = workflowInfo().workflowId;
  const baselineWorkflowId = `${parentId}-baseline`;
  const optimizedWorkflowId = `${parentId}-optimized`;
  const baseline: AnalysisResult = await executeChild(analysisWorkflow, {
    workflowId: baselineWorkflowId,
    args: [{ request: { ...input.request, mode: 'baseline' }, settings: input.baseline }],
  });
  const optimized: AnalysisResult = await executeChild(analysisWorkflow, {
    workflowId: optimizedWorkflowId,
    args: [{ request: { ...input.request, mode: 'optimized' }, settings: input.optimized }],
  });
  const { writeComparisonReport } = proxyActivities<ComparisonActivities>({
    startToCloseTimeout: '120s',
    retry: { maximumAttempts: 3 },
  });
  const report = await writeComparisonReport({ comparisonId: parentId, baseline, optimized });
  return { baselineWorkflowId, optimizedWorkflowId, ...report };
}
