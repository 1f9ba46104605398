import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createInvokeActivity } from '../activities/invoke-activity';
import type { PipelineActivities } from '../activities/pipeline-activities';
import type { UsageActivities } from '../activities/usage-activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../core/failure-types';
import type { RunSettings } from '../core/run-types';

/** The invoke activity's functions, typed from its factory so the workflow's most important call is checked. */
type InvokeActivities = ReturnType<typeof createInvokeActivity>;

/** Builds the activity proxies of one run's agent calls from its settings. */
export function createPipelineProxies(settings: RunSettings) {
  const pure = proxyLocalActivities<PipelineActivities>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 3 },
  });
  const { invokeModel } = proxyActivities<InvokeActivities>({
    taskQueue: settings.invokeTaskQueue,
    startToCloseTimeout: `${settings.invoke.startToCloseSeconds}s`,
    heartbeatTimeout: `${settings.invoke.heartbeatTimeoutSeconds}s`,
    // A cancelled run waits for the attempt to close its stream and report what it spent.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: settings.invoke.maximumAttempts,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES],
    },
  });
  // Activity proxies are Proxy objects with no own keys: name each function, never spread them.
  return {
    enhancePrompt: pure.enhancePrompt,
    optimizePrompt: pure.optimizePrompt,
    predictResponse: pure.predictResponse,
    limitResponse: pure.limitResponse,
    parseDecision: pure.parseDecision,
    invokeModel,
    trackUsage: usageProxies().trackUsage,
  };
}

export type PipelineProxies = ReturnType<typeof createPipelineProxies>;

/**
 * The ledger's writes. The tokens are spent whatever the store does: a failing write retries on Temporal's
 * schedule (a locked or full database gets time to recover) and, past that, costs the run a degradation,
 * never the run.
 */
export function usageProxies() {
  return proxyActivities<UsageActivities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '15m',
    retry: { maximumAttempts: Number.POSITIVE_INFINITY, maximumInterval: '30s' },
  });
}
