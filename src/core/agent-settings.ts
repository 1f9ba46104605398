import type { AgentName } from './agents';
import type { AgentCalibration, RunSettings } from './run-types';
import type { PipelineMode } from './types';

/** What the active calibration says per agent (the learning workflow's output), as a run loads it. */
export interface RunCalibration {
  version: string;
  agents: Partial<Record<AgentName, AgentCalibration>>;
}

/**
 * The settings an agent runs under in one run, settled once from the configured ones, the active calibration
 * and the mode; every step of its calls (the prompt, the prediction, the limiter, the decision parse, the
 * record) reads them from here.
 */
export interface EffectiveAgentSettings {
  /**
   * The word limit the prompt states, the limiter cuts to and the decision's rationale keeps: the calibrated
   * one when learning set one, else the configured one; undefined in baseline mode, which has no limit.
   */
  wordLimit?: number;
  /** The limit compliance is measured against in the ledger: `wordLimit`, or the configured one in baseline mode. */
  measuredWordLimit: number;
  /** The agent's budget line before it is scaled to the hard cap: calibrated when learning set one. */
  allocation: number;
  /** The agent's calibration, for the predictor. */
  calibration?: AgentCalibration;
}

/** The effective settings of `agent` in a run of `mode` with `settings` and the active `calibration`. */
export function effectiveAgentSettings(
  agent: AgentName,
  settings: Pick<RunSettings, 'agents'>,
  mode: PipelineMode,
  calibration: RunCalibration | undefined,
): EffectiveAgentSettings {
  const configured = settings.agents[agent];
  const calibrated = calibration?.agents[agent];
  const wordLimit = mode === 'optimized' ? (calibrated?.wordLimit ?? configured.wordLimit) : undefined;
  return {
    ...(wordLimit !== undefined ? { wordLimit } : {}),
    measuredWordLimit: wordLimit ?? configured.wordLimit,
    allocation: calibrated?.allocation ?? configured.allocation,
    ...(calibrated ? { calibration: calibrated } : {}),
  };
}

/**
 * Every agent's word limit and allocation with the calibration applied, for the run's budget: calibrated
 * allocations are scaled back to the hard cap there, so calibration moves tokens between agents only.
 */
export function calibratedAgentSettings(
  settings: Pick<RunSettings, 'agents'>,
  calibration: RunCalibration | undefined,
): RunSettings['agents'] {
  const agents = { ...settings.agents };
  for (const agent of Object.keys(agents) as AgentName[]) {
    const effective = effectiveAgentSettings(agent, settings, 'optimized', calibration);
    agents[agent] = { wordLimit: effective.measuredWordLimit, allocation: effective.allocation };
  }
  return agents;
}
