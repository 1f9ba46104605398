import { ApplicationFailure, CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PoolActivities } from '../activities/pool-activities';
import { changeHardCap, minimumUsefulTokens } from '../core/budget';
import { FAILURE_TYPE } from '../core/failure-types';
import type { ReserveOutcome } from '../core/pool';
import { pauseRun } from './budget-pause';
import type { AnalysisRun } from './run-state';

/**
 * The pool's activities. Temporal admits 10 updates in flight per workflow: when many runs ask a pool at once,
 * the others are refused for now (ResourceExhausted) and retried here, for up to 30 minutes.
 */
function poolActivities() {
  return proxyActivities<PoolActivities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '30m',
    retry: {
      maximumInterval: '10s',
      nonRetryableErrorTypes: [FAILURE_TYPE.UnknownPool, FAILURE_TYPE.PoolRequestRejected],
    },
  });
}

function requestIdOf(run: AnalysisRun, purpose: string): string {
  return `${workflowInfo().workflowId}/${run.poolRequests++}/${purpose}`;
}

/**
 * Reserves the run's hard cap from its pool before the first call. Granted: the run goes on. When the pool has
 * too little left, a pausing run waits in the pool's line until it is granted (a release, a raise, the next
 * period) or its pause timeout passes; a degrading run (or one whose pause ran out) takes what the pool has left,
 * its hard cap cut to it, if that is at least a quarter of its cap. Returns false when the run gets nothing
 * (the reason is its `noDecisionReason`).
 */
export async function acquirePoolTokens(run: AnalysisRun): Promise<boolean> {
  const pool = run.input.settings.pool;
  if (pool === undefined) return true;
  const { reservePoolTokens, releasePoolTokens } = poolActivities();
  const { budget } = run.pipeline;
  const holder = workflowInfo().workflowId;
  const wanted = budget.hardCap;
  const minimum = minimumUsefulTokens(wanted);

  if (run.input.settings.onExhausted === 'pause') {
    const requestId = requestIdOf(run, 'start');
    const outcome = await reservePoolTokens({
      pool,
      request: { holder, requestId, tokens: wanted, wait: true },
    });
    if (outcome.status === 'granted') return take(outcome.tokens);
    const resumed = await pauseRun(
      run,
      'pool',
      `pool ${pool} has ${outcome.available} tokens left this period, less than the ${wanted} this run reserves; waiting in line (raise it with tokenflow pool ${pool} --raise N)`,
      () => run.poolGrants[requestId] !== undefined,
    );
    if (resumed) return take(run.poolGrants[requestId]!);
    // Leave the line; a grant that crossed the timeout is given back too.
    await releasePoolTokens({ pool, holder, spentTokens: 0 });
    run.pipeline.degradations.push(
      `pool ${pool}: paused without a grant until the pause timeout, then degraded`,
    );
  }
  const outcome: ReserveOutcome = await reservePoolTokens({
    pool,
    request: {
      holder,
      requestId: requestIdOf(run, 'start'),
      tokens: wanted,
      wait: false,
      acceptAtLeast: minimum,
    },
  });
  if (outcome.status === 'granted') return take(outcome.tokens);
  run.outputs.noDecisionReason = `pool ${pool} had ${outcome.available} tokens left this period, less than the ${minimum} this run needs at least; no agent ran`;
  run.pipeline.degradations.push(run.outputs.noDecisionReason);
  return false;

  function take(tokens: number): true {
    if (tokens < budget.hardCap) {
      run.pipeline.degradations.push(
        `budget cut from ${budget.hardCap} to ${tokens} tokens: pool ${pool} had only ${tokens} left this period`,
      );
      changeHardCap(budget, tokens);
    }
    return true;
  }
}

/**
 * Takes `tokens` more from the run's pool for a raise of its budget; throws (failing the raise, not the run)
 * when the pool cannot give them now.
 */
export async function drawMoreFromPool(run: AnalysisRun, tokens: number): Promise<void> {
  const pool = run.input.settings.pool;
  if (pool === undefined) return;
  const { reservePoolTokens } = poolActivities();
  const outcome = await reservePoolTokens({
    pool,
    request: { holder: workflowInfo().workflowId, requestId: requestIdOf(run, 'raise'), tokens, wait: false },
  });
  if (outcome.status !== 'granted' || outcome.tokens < tokens) {
    throw ApplicationFailure.nonRetryable(
      `pool ${pool} has only ${outcome.available} tokens left this period, not the ${tokens} asked for; raise the pool first (tokenflow pool ${pool} --raise N)`,
      FAILURE_TYPE.PoolExhausted,
    );
  }
}

/**
 * Gives the run's grant back to its pool, charging what the run spent; runs however the run ends, even
 * cancelled. A release that keeps failing is recorded as a degradation (the pool keeps the grant reserved until
 * its next period).
 */
export async function releasePoolTokens(run: AnalysisRun, spentTokens: number): Promise<void> {
  const pool = run.input.settings.pool;
  if (pool === undefined || run.poolRequests === 0) return;
  const { releasePoolTokens: release } = poolActivities();
  try {
    await CancellationScope.nonCancellable(() =>
      release({ pool, holder: workflowInfo().workflowId, spentTokens }),
    );
  } catch (error) {
    run.pipeline.degradations.push(
      `pool ${pool}: the run's grant could not be released (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
