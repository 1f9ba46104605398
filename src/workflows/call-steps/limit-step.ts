import type { LimitInput } from '../../activities/pipeline-activities';
import type { InvokeResult } from '../../activities/invoke-activity';
import { FINISH_REASON } from '../../core/finish-reasons';
import type { CallFrame } from './call-frame';

/**
 * The Token Limiter step: in optimized mode the answer is cut to the agent's word limit at its last full
 * sentence (not the risk manager's, whose limit applies to its decision's rationale); in both modes its
 * compliance is measured.
 */
export async function limitStep(frame: CallFrame, result: InvokeResult) {
  const enforce = frame.state.request.mode === 'optimized' && !frame.call.skipLimit;
  const input: LimitInput = {
    text: result.text,
    wordLimit: frame.agent.measuredWordLimit,
    enforce,
    // Stopped at its token ceiling, or by the stream monitor as a runaway: it may end mid-sentence, and it
    // did not keep to its limit by itself.
    stoppedAtCap: result.stoppedByLimit || result.finishReason === FINISH_REASON.repetition,
  };
  return { ...(await frame.proxies.limitResponse(input)), enforced: enforce };
}
