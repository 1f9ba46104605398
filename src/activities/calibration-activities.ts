import { AGENT_NAMES } from '../core/agents';
import type { AgentUsageProfile, LearningInputs, RecordedAnswer } from '../core/calibration';
import { isRepairCall } from '../core/agents';
import { ATTEMPT_OUTCOME, USAGE_SOURCE } from '../core/ledger';
import { emptyDrift, observeDrift, type TokenizerDrift } from '../core/tokenizer-drift';
import type { UsageRecord } from '../core/types';
import type { Calibration } from '../core/run-types';
import type { AppConfig } from '../config/schema';
import type { UsageStore } from '../storage/usage-store';

export interface LearningScope {
  /** Only calls of this model (the calibration is per model in practice). */
  model?: string;
  /** How many recent calls per agent to learn from. */
  window?: number;
}

/** What learning reads of one usage record. */
function recordedAnswer(record: UsageRecord): RecordedAnswer {
  return {
    completionTokens: record.completionTokens,
    rawWords: record.rawWords,
    wordLimit: record.wordLimit,
    maxTokens: record.maxTokens,
    truncated: record.truncated,
    ...(record.finishReason !== undefined ? { finishReason: record.finishReason } : {}),
  };
}

const UNANSWERED_ENDINGS: ReadonlySet<string> = new Set([ATTEMPT_OUTCOME.failed, ATTEMPT_OUTCOME.cancelled]);

/** Per model, the tokenizer drift of recent calls whose usage the server reported beside tokenflow's own count. */
function learnTokenizerDrift(
  records: readonly UsageRecord[],
  model: string | undefined,
): Record<string, TokenizerDrift> {
  const drift: Record<string, TokenizerDrift> = {};
  for (const record of records) {
    if (record.usageSource !== USAGE_SOURCE.server) continue;
    if (record.localPromptTokens === undefined || record.localCompletionTokens === undefined) continue;
    if (model !== undefined && record.model !== model) continue;
    drift[record.model] = observeDrift(drift[record.model] ?? emptyDrift(), {
      localPromptTokens: record.localPromptTokens,
      serverPromptTokens: record.promptTokens,
      localCompletionTokens: record.localCompletionTokens,
      serverCompletionTokens: record.completionTokens,
    });
  }
  return drift;
}

/** Activities of the learning loop: read recorded usage, save and load calibration versions. */
export function createCalibrationActivities(deps: { store: UsageStore; config: AppConfig }) {
  const { store, config } = deps;
  return {
    /** The active calibration version, loaded by every analysis at its start. */
    async loadCalibration(): Promise<Calibration | undefined> {
      return store.activeCalibration();
    },

    /** Per-agent usage profiles of recent optimized calls, for the learning workflow's pure recalibration. */
    async collectLearningInputs(scope: LearningScope = {}): Promise<LearningInputs> {
      const window = scope.window ?? 200;
      const profiles: AgentUsageProfile[] = [];
      for (const agent of AGENT_NAMES) {
        const records = (await store.listUsage({ agent, limit: window * 2 }))
          .filter((record) => record.mode === 'optimized' && (!scope.model || record.model === scope.model))
          // A call that got no answer (failed, cancelled) is in the ledger for its tokens, not an answer to learn from.
          .filter((record) => !UNANSWERED_ENDINGS.has(record.finishReason ?? ''))
          .slice(-window);
        if (records.length === 0) continue;
        // Failed calls (no completion) are not answers; decision repairs are structured output, a call of
        // their own kind, and are learned apart. Answers the limiter cut stay in: they are real completions.
        const usable = records.filter((record) => record.completionTokens > 0);
        const known = records.filter((record) => record.rawCompliant !== undefined);
        profiles.push({
          agent,
          calls: records.length,
          answers: usable.filter((record) => !isRepairCall(record.callId)).map(recordedAnswer),
          repairs: usable.filter((record) => isRepairCall(record.callId)).map(recordedAnswer),
          meanPromptTokens: records.reduce((sum, record) => sum + record.promptTokens, 0) / records.length,
          rawComplianceRate:
            known.length > 0
              ? known.filter((record) => record.rawCompliant).length / known.length
              : undefined,
        });
      }
      const base = Object.fromEntries(
        AGENT_NAMES.map((agent) => [
          agent,
          { wordLimit: config.agents[agent].wordLimit, allocation: config.agents[agent].allocation },
        ]),
      ) as LearningInputs['base'];
      return {
        profiles,
        base,
        tokenizerDrift: learnTokenizerDrift(await store.listUsage({ limit: window * 12 }), scope.model),
        previous: await store.activeCalibration(),
        minimumSamples: config.learning.minimumSamples,
        maximumAdjustment: config.learning.maximumAdjustment,
      };
    },

    /** Saves a new calibration version and makes it active (a retried save is a no-op). */
    async saveCalibration(calibration: Calibration): Promise<void> {
      await store.saveCalibration(calibration);
    },
  };
}

export type CalibrationActivities = ReturnType<typeof createCalibrationActivities>;
