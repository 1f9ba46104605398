import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { ParseDecisionResult } from '../activities/pipeline-activities';
import { REPAIR_CALL_SUFFIX } from '../core/agents';
import { effectiveAgentSettings } from '../core/agent-settings';
import { closeLine } from '../core/budget';
import { DECISION_JSON_SCHEMA } from '../core/decision-schema';
import { FAILURE_TYPE } from '../core/failure-types';
import type { AgentContext } from '../core/types';
import type { StageRun } from './analysis-stages';
import { LEDGER_RECORDS_FAILURES } from './patches';
import type { AnalysisRun } from './run-state';

/**
 * The risk manager's call and the structured decision read from it, with one bounded repair when the answer
 * holds none. The rationale keeps the word limit the risk manager ran under (calibrated where learning moved
 * it). A decision still unreadable after the repair ends the run without one, keeping every report paid for.
 */
export async function decide(stage: StageRun, context: AgentContext): Promise<void> {
  const { run, outputs, call } = stage;
  const { pipeline, proxies } = run;
  const answer = await call('risk_manager', 1, 1, context, { skipLimit: true });
  // Before the repair, which draws on the summary line.
  closeLine(pipeline.budget, 'risk_manager');
  if (!answer) {
    endWithoutDecision(run, RISK_MANAGER_DID_NOT_RUN);
    return;
  }
  outputs.reports.risk_manager = answer.text;
  const { wordLimit } = effectiveAgentSettings(
    'risk_manager',
    pipeline.settings,
    pipeline.request.mode,
    pipeline.calibration,
  );
  let parsed: ParseDecisionResult = await proxies.parseDecision({ text: answer.text, wordLimit });
  if (!parsed.ok) {
    const repaired = await call('risk_manager', 1, 1, context, {
      repair: { malformedAnswer: answer.text, error: parsed.error },
      budgetLine: 'summary_output',
      skipLimit: true,
      callSuffix: REPAIR_CALL_SUFFIX,
      // Structured output makes the one repair dependable even on a small local model.
      jsonSchema: DECISION_JSON_SCHEMA,
    });
    if (repaired) parsed = await proxies.parseDecision({ text: repaired.text, wordLimit });
  }
  if (parsed.ok) {
    outputs.decision = parsed.decision;
    return;
  }
  if (!patched(LEDGER_RECORDS_FAILURES)) {
    throw ApplicationFailure.nonRetryable(
      `The risk manager did not give a valid decision even after one repair attempt: ${parsed.error}`,
      FAILURE_TYPE.MalformedDecision,
    );
  }
  // Every report before it was paid for: keep them and end without a decision.
  endWithoutDecision(
    run,
    `the risk manager did not give a valid decision even after one repair attempt: ${parsed.error}`,
  );
}

export const RISK_MANAGER_DID_NOT_RUN = 'the risk manager did not run';

/** The run ends without a decision, saying why in its result and among its degradations. */
export function endWithoutDecision(run: AnalysisRun, reason: string): void {
  run.outputs.noDecisionReason = reason;
  run.pipeline.degradations.push(`no decision: ${reason}`);
}
