import type { DailyReport } from '../core/usage-report';
import { temporalWorkflowHref, type TemporalUi } from '../dashboard/links';
import type { RunSummary } from '../storage/usage-store';
import type { ReportAlert } from './report-alerts';

/** How many of the day's finished runs the report lists as the most expensive. */
export const EXPENSIVE_RUNS_SHOWN = 5;

/** A run of the "most expensive runs" table. */
export interface ExpensiveRun {
  workflowId: string;
  ticker: string;
  mode: string;
  totalTokens: number;
  costUsd?: number;
  decision?: string;
  budgetStatus: string;
  /** The run in the Temporal UI, when the report knows where that is. */
  temporalHref?: string;
}

/** Everything a daily report shows; the renderers only format it. */
export interface DailyReportData {
  day: string;
  /** When the report was made (ISO timestamp): the only time a rendering contains. */
  generatedAt: string;
  usage: DailyReport;
  /** The raw word-limit compliance the day is judged against (`tokens.wordLimitCompliance`). */
  complianceTarget: number;
  expensiveRuns: ExpensiveRun[];
  alerts: ReportAlert[];
}

/** The runs that spent the most tokens, most first (ties by workflow id, so the order is stable). */
export function expensiveRunsOf(runs: readonly RunSummary[], ui?: TemporalUi): ExpensiveRun[] {
  return [...runs]
    .sort(
      (left, right) =>
        right.totalTokens - left.totalTokens ||
        (left.workflowId < right.workflowId ? -1 : left.workflowId > right.workflowId ? 1 : 0),
    )
    .slice(0, EXPENSIVE_RUNS_SHOWN)
    .map((run) => {
      const entry: ExpensiveRun = {
        workflowId: run.workflowId,
        ticker: run.ticker,
        mode: run.mode,
        totalTokens: run.totalTokens,
        budgetStatus: run.budgetStatus,
      };
      if (run.costUsd !== undefined) entry.costUsd = run.costUsd;
      if (run.decision !== undefined) entry.decision = run.decision;
      if (ui) entry.temporalHref = temporalWorkflowHref(ui, run.workflowId);
      return entry;
    });
}
