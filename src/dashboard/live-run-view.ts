import { formatCount, formatPercent, formatTimestamp, formatUsd, UNKNOWN } from './format';
import { runHref, temporalWorkflowHref, type TemporalUi } from './links';
import type { LiveRun } from './live-runs';

/**
 * A running run as `/api/live` sends it to the page: raw figures for the progress bars and the text to show,
 * formatted here so the browser script only places it (and never builds markup from it).
 */
export interface LiveRunView {
  workflowId: string;
  href: string;
  temporalHref: string;
  ticker: string;
  mode: string;
  date: string;
  startedAt: string;
  phase: string;
  completedCalls?: number;
  plannedCalls?: number;
  tokensSpent?: number;
  hardCap?: number;
  /** `3 / 12`: calls finished of those planned. */
  agentsDone: string;
  /** `1,234 / 40,000`: tokens spent against the run's hard cap. */
  tokens: string;
  tokensPercent: string;
  cost: string;
  currentAgents: string;
  budgetStatus: string;
  /** Why the figures are missing (the run did not answer its progress query). */
  problem?: string;
}

/** What `/api/live` answers. */
export interface LiveRunsResponse {
  runs: LiveRunView[];
  /** ISO timestamp of the answer. */
  checkedAt: string;
}

/** The page's view of a running run. */
export function liveRunView(run: LiveRun, temporalUi: TemporalUi): LiveRunView {
  const progress = run.progress;
  const view: LiveRunView = {
    workflowId: run.workflowId,
    href: runHref(run.workflowId),
    temporalHref: temporalWorkflowHref(temporalUi, run.workflowId),
    ticker: run.ticker ?? UNKNOWN,
    mode: run.mode ?? UNKNOWN,
    date: run.date ?? UNKNOWN,
    startedAt: formatTimestamp(run.startedAt),
    phase: progress?.phase ?? UNKNOWN,
    agentsDone: progress ? `${progress.completedCalls} / ${progress.plannedCalls}` : UNKNOWN,
    tokens: progress ? `${formatCount(progress.tokensSpent)} / ${formatCount(progress.hardCap)}` : UNKNOWN,
    tokensPercent:
      progress && progress.hardCap > 0 ? formatPercent(progress.tokensSpent / progress.hardCap) : UNKNOWN,
    cost: progress ? formatUsd(progress.costUsd) : UNKNOWN,
    currentAgents: progress && progress.currentAgents.length > 0 ? progress.currentAgents.join(', ') : '',
    budgetStatus: progress?.budgetStatus ?? UNKNOWN,
  };
  if (progress) {
    view.completedCalls = progress.completedCalls;
    view.plannedCalls = progress.plannedCalls;
    view.tokensSpent = progress.tokensSpent;
    view.hardCap = progress.hardCap;
  }
  if (run.problem !== undefined) view.problem = run.problem;
  return view;
}
