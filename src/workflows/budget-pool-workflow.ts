import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  createPoolState,
  grantWaiting,
  nextPeriodStart,
  raisePool,
  releasePool,
  reservePool,
  rollPeriod,
  summarizePool,
  validateReserve,
  type PoolGrantNotice,
  type PoolState,
} from '../core/pool';
import {
  poolGrantSignal,
  poolStatusQuery,
  raisePoolUpdate,
  releasePoolUpdate,
  reservePoolUpdate,
  type BudgetPoolInput,
} from './pool-definitions';

const DEFAULT_HISTORY_EVENT_LIMIT = 5_000;

/**
 * A token pool as an entity workflow: one per pool name (`tokenflow-pool-<name>`), started by the first run that
 * names it. Reserve, release and raise are updates, handled one at a time on the workflow's thread, so 50 runs
 * reserving at once cannot race past the budget. Runs that wait are told by signal when their tokens are
 * granted. The period rolls on a durable timer; the workflow continues as new before its history grows long.
 */
export async function budgetPoolWorkflow(input: BudgetPoolInput): Promise<never> {
  const state = input.state ?? createPoolState(input.definition, new Date(Date.now()));
  const limit = input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  const notices: PoolGrantNotice[] = [];
  const grantWhatFits = () => notices.push(...grantWaiting(state, new Date(Date.now())));

  setHandler(poolStatusQuery, () => summarizePool(state));
  setHandler(
    reservePoolUpdate,
    (request) => {
      rollPeriod(state, new Date(Date.now()));
      return reservePool(state, request, new Date(Date.now()));
    },
    {
      validator: (request) => {
        const problem = validateReserve(state, request);
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(
    releasePoolUpdate,
    ({ holder, spentTokens }) => {
      const charged = releasePool(state, holder, spentTokens);
      grantWhatFits();
      return { charged };
    },
    {
      validator: ({ holder, spentTokens }) => {
        if (typeof holder !== 'string' || holder === '') throw new Error('A release needs a holder.');
        if (!Number.isFinite(spentTokens) || spentTokens < 0)
          throw new Error(`Spent tokens must be 0 or more (got ${spentTokens}).`);
      },
    },
  );
  setHandler(
    raisePoolUpdate,
    ({ tokens }) => {
      rollPeriod(state, new Date(Date.now()));
      raisePool(state, tokens);
      grantWhatFits();
      return summarizePool(state);
    },
    {
      validator: ({ tokens }) => {
        if (!Number.isInteger(tokens) || tokens <= 0)
          throw new Error(`Raise a pool by a positive whole number of tokens (got ${tokens}).`);
      },
    },
  );

  for (;;) {
    const periodEnds = nextPeriodStart(new Date(state.periodStart), state.definition.period).getTime();
    const untilPeriodEnds = Math.max(1, periodEnds - Date.now());
    const woken = await condition(() => notices.length > 0 || historyIsLong(limit), untilPeriodEnds);
    if (!woken && rollPeriod(state, new Date(Date.now()))) grantWhatFits();
    await tellAll(notices, state);
    if (historyIsLong(limit)) {
      await condition(allHandlersFinished);
      await tellAll(notices, state);
      return continueAsNew<typeof budgetPoolWorkflow>({ ...input, state });
    }
  }
}

function historyIsLong(limit: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= limit;
}

/**
 * Tells each run in `notices` (taken from the list) that its waiting request was granted. A run that has ended
 * (or never existed) cannot use the tokens: its grant is released at once, and whoever that lets in is told too.
 */
async function tellAll(notices: PoolGrantNotice[], state: PoolState): Promise<void> {
  for (let notice = notices.shift(); notice !== undefined; notice = notices.shift()) {
    try {
      await getExternalWorkflowHandle(notice.holder).signal(poolGrantSignal, {
        requestId: notice.requestId,
        tokens: notice.tokens,
      });
    } catch (error) {
      log.warn('A pool grant could not reach its run; releasing it', {
        holder: notice.holder,
        error: error instanceof Error ? error.message : String(error),
      });
      releasePool(state, notice.holder, 0);
      notices.push(...grantWaiting(state, new Date(Date.now())));
    }
  }
}
