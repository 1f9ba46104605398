import {
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BacktestActivities } from '../activities/backtest-activities';
import type { BacktestDate, BacktestEntry, BacktestEvery, BacktestSummary } from '../core/backtest';
import type { AnalysisResult, RunSettings } from '../core/run-types';
import type { PipelineMode } from '../core/types';
import { analysisWorkflow } from './analysis-workflow';

/** What a backtest carries into its next run when it continues as new. */
export interface BacktestCarried {
  dates: BacktestDate[];
  entries: BacktestEntry[];
  /** Tokens the finished runs spent (a failed run counts its whole cap: what it spent is not known here). */
  spent: number;
  /** Why the backtest was stopped, when it was. */
  stopReason?: string;
}

export interface BacktestInput {
  /** Names the report and prefixes the runs' workflow ids; the first run's workflow id when absent. */
  backtestId?: string;
  ticker: string;
  from: string;
  to: string;
  every: BacktestEvery;
  /** One mode, or both (each date then runs baseline and optimized). */
  modes: PipelineMode[];
  /** Runs in flight at most. */
  concurrency: number;
  /** The batch's budget: every run's tokens together never pass it. Absent, only each run's own cap holds. */
  budgetTokens?: number;
  /** A run is not started with less than this left of the batch budget (the date is skipped, with why). */
  minimumRunTokens: number;
  /** Each mode's run settings; a run's hard cap is its `hardCap`, or what is left of the batch if less. */
  settings: Partial<Record<PipelineMode, RunSettings>>;
  researchRounds: number;
  riskRounds: number;
  /** Continue as new past this many history events (or when Temporal suggests it). */
  historyEventLimit?: number;
  carried?: BacktestCarried;
}

export interface BacktestResult {
  backtestId: string;
  entries: BacktestEntry[];
  summary: BacktestSummary;
  markdownPath: string;
  jsonPath: string;
  spentTokens: number;
}

export interface BacktestProgress {
  planned: number;
  finished: number;
  running: number;
  spentTokens: number;
  reservedTokens: number;
  budgetTokens?: number;
}

/** Progress of a backtest: runs planned, finished and in flight; the batch budget's spent and reserved tokens. */
export const backtestProgressQuery = defineQuery<BacktestProgress>('backtestProgress');
/** Starts no more runs: the runs in flight finish, the dates not started are skipped, and the report is written. */
export const stopBacktestSignal = defineSignal<[{ reason?: string }]>('stopBacktest');

const DEFAULT_HISTORY_EVENT_LIMIT = 10_000;

interface Job {
  date: BacktestDate;
  mode: PipelineMode;
}

/**
 * A backtest: one analysis per date (and mode) as child workflows, at most `concurrency` at a time, under one
 * batch budget. Each run reserves its cap from the batch before it starts and gives back what it did not spend
 * when it ends, so the batch is never passed. A long backtest continues as new (finished dates carried, never
 * run again); a crashed worker only delays it. Ends with the report (markdown and JSON) written by an activity.
 */
export async function backtestWorkflow(input: BacktestInput): Promise<BacktestResult> {
  const backtestId = input.backtestId ?? workflowInfo().workflowId;
  const { planBacktest, writeBacktestReport } = proxyActivities<BacktestActivities>({
    startToCloseTimeout: '2m',
    retry: { maximumAttempts: 3 },
  });
  const dates =
    input.carried?.dates ??
    (await planBacktest({ ticker: input.ticker, from: input.from, to: input.to, every: input.every })).dates;
  const entries: BacktestEntry[] = [...(input.carried?.entries ?? [])];
  let spent = input.carried?.spent ?? 0;
  let reserved = 0;
  const done = new Set(entries.map((entry) => `${entry.date}/${entry.mode}`));
  const jobs: Job[] = dates.flatMap((date) =>
    input.modes.map((mode) => ({ date, mode })).filter((job) => !done.has(`${job.date.date}/${job.mode}`)),
  );
  const running = new Set<Promise<void>>();
  let stopReason = input.carried?.stopReason;
  setHandler(stopBacktestSignal, ({ reason }) => {
    stopReason ??= reason ?? 'stopped by request';
  });
  setHandler(backtestProgressQuery, () => ({
    planned: dates.length * input.modes.length,
    finished: entries.length,
    running: running.size,
    spentTokens: spent,
    reservedTokens: reserved,
    ...(input.budgetTokens === undefined ? {} : { budgetTokens: input.budgetTokens }),
  }));

  const capOf = (job: Job): number => {
    const own = input.settings[job.mode]?.hardCap ?? 0;
    return input.budgetTokens === undefined ? own : Math.min(own, input.budgetTokens - spent - reserved);
  };
  const runJob = async (job: Job, cap: number): Promise<void> => {
    const settings = input.settings[job.mode];
    if (!settings) throw new Error(`No run settings for mode ${job.mode}.`);
    const base = entryBase(backtestId, job);
    const { workflowId } = base;
    reserved += cap;
    try {
      const result: AnalysisResult = await executeChild(analysisWorkflow, {
        workflowId,
        args: [
          {
            request: {
              ticker: input.ticker,
              date: job.date.date,
              mode: job.mode,
              researchRounds: input.researchRounds,
              riskRounds: input.riskRounds,
            },
            settings: { ...settings, hardCap: cap },
          },
        ],
      });
      spent += result.totals.totalTokens;
      entries.push({
        ...base,
        status: result.status === 'cancelled' ? 'cancelled' : 'completed',
        ...(result.decision ? { decision: result.decision.action } : {}),
        totalTokens: result.totals.totalTokens,
        ...(result.totals.costUsd === undefined ? {} : { costUsd: result.totals.costUsd }),
        ...(result.decision === undefined && result.noDecisionReason !== undefined
          ? { reason: result.noDecisionReason }
          : {}),
      });
    } catch (error) {
      if (!(error instanceof ChildWorkflowFailure)) throw error;
      // What a failed run spent is in the ledger, not here: the batch counts its whole cap.
      spent += cap;
      entries.push({
        ...base,
        status: 'failed',
        totalTokens: 0,
        reason: error.cause?.message ?? error.message,
      });
    } finally {
      reserved -= cap;
    }
  };

  const historyLimit = input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  const continueSuggested = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  let next = 0;
  for (;;) {
    while (next < jobs.length && running.size < input.concurrency && !continueSuggested()) {
      const job = jobs[next] as Job;
      const cap = capOf(job);
      if (stopReason !== undefined || cap < input.minimumRunTokens) {
        // Runs in flight may give tokens back: wait for them before giving up on this date.
        if (stopReason === undefined && running.size > 0) break;
        entries.push({
          ...entryBase(backtestId, job),
          status: 'skipped',
          totalTokens: 0,
          reason:
            stopReason ??
            `the batch budget had ${Math.max(0, cap)} tokens left, under the ${input.minimumRunTokens} a run needs`,
        });
        next += 1;
        continue;
      }
      next += 1;
      const promise: Promise<void> = runJob(job, cap).finally(() => running.delete(promise));
      running.add(promise);
    }
    if (running.size === 0) break;
    // A run ending, or a stop (which skips the dates not started at once), is what lets the loop go on.
    await (stopReason === undefined
      ? Promise.race([...running, condition(() => stopReason !== undefined)])
      : Promise.race(running));
  }
  if (next < jobs.length) {
    await continueAsNew<typeof backtestWorkflow>({
      ...input,
      backtestId,
      carried: { dates, entries, spent, ...(stopReason === undefined ? {} : { stopReason }) },
    });
  }

  const ordered = [...entries].sort(
    (left, right) => left.date.localeCompare(right.date) || left.mode.localeCompare(right.mode),
  );
  const report = await writeBacktestReport({
    backtestId,
    ticker: input.ticker,
    from: input.from,
    to: input.to,
    every: input.every,
    ...(input.budgetTokens === undefined ? {} : { budgetTokens: input.budgetTokens }),
    entries: ordered,
  });
  return { backtestId, entries: ordered, spentTokens: spent, ...report };
}

/** What every entry of a job has, however it ends: its date, mode, run id and the date's forward return. */
function entryBase(
  backtestId: string,
  job: Job,
): Pick<BacktestEntry, 'date' | 'mode' | 'workflowId' | 'forwardReturn'> {
  const { date, forwardReturn } = job.date;
  return {
    date,
    mode: job.mode,
    workflowId: `${backtestId}-${date}-${job.mode}`,
    ...(forwardReturn === undefined ? {} : { forwardReturn }),
  };
}
