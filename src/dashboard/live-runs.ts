import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { dateKey, modeKey, tickerKey } from '../config/search-attributes';
import type { RunProgress } from '../core/run-types';
import { progressQuery } from '../workflows/definitions';

/** The workflow type of an analysis run (the exported workflow function's name). */
export const ANALYSIS_WORKFLOW_TYPE = 'analysisWorkflow';

/** Temporal's visibility query for the analyses still running. */
export const RUNNING_ANALYSES_QUERY = `WorkflowType="${ANALYSIS_WORKFLOW_TYPE}" AND ExecutionStatus="Running"`;

/** One running analysis with what its `progress` query answered. */
export interface LiveRun {
  workflowId: string;
  runId: string;
  /** ISO timestamp. */
  startedAt: string;
  ticker?: string;
  date?: string;
  mode?: string;
  progress?: RunProgress;
  /** Why `progress` is missing (the query failed or went unanswered). */
  problem?: string;
}

/** Where the dashboard learns which runs are in progress and how far they are. */
export interface LiveRunSource {
  /** The running analyses, newest first; rejects when Temporal cannot be asked. */
  listRunning(): Promise<LiveRun[]>;
}

/** Options of {@link temporalLiveRuns}. */
export interface TemporalLiveRunOptions {
  /** The client to ask; called on every listing, so a source that reconnects can hand out a new one. */
  client: () => Promise<Client>;
  /** Running runs shown at most (the newest). */
  limit?: number;
  /**
   * How long a run's progress query may take. A run whose workers are all gone never answers, and the page
   * polls every second or two, so it is short.
   */
  queryTimeoutMs?: number;
}

function describeQueryFailure(error: unknown, timeoutMs: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/deadline/i.test(message)) {
    return `No answer to the progress query within ${timeoutMs / 1000} s; is a worker running?`;
  }
  return `The progress query failed: ${message}`;
}

async function withProgress(
  client: Client,
  info: WorkflowExecutionInfo,
  timeoutMs: number,
): Promise<LiveRun> {
  const run: LiveRun = {
    workflowId: info.workflowId,
    runId: info.runId,
    startedAt: info.startTime.toISOString(),
  };
  const ticker = info.typedSearchAttributes.get(tickerKey);
  const date = info.typedSearchAttributes.get(dateKey);
  const mode = info.typedSearchAttributes.get(modeKey);
  if (ticker !== undefined) run.ticker = ticker;
  if (date !== undefined) run.date = date;
  if (mode !== undefined) run.mode = mode;
  try {
    const handle = client.workflow.getHandle(info.workflowId, info.runId);
    run.progress = await client.withDeadline(Date.now() + timeoutMs, () => handle.query(progressQuery));
  } catch (error) {
    run.problem = describeQueryFailure(error, timeoutMs);
  }
  return run;
}

/** Lists running analyses through Temporal's visibility and asks each for its `progress` query. */
export function temporalLiveRuns(options: TemporalLiveRunOptions): LiveRunSource {
  const limit = options.limit ?? 50;
  const queryTimeoutMs = options.queryTimeoutMs ?? 2000;
  return {
    async listRunning() {
      const client = await options.client();
      const running: WorkflowExecutionInfo[] = [];
      for await (const info of client.workflow.list({ query: RUNNING_ANALYSES_QUERY, pageSize: limit })) {
        running.push(info);
        if (running.length >= limit) break;
      }
      running.sort((left, right) => right.startTime.getTime() - left.startTime.getTime());
      return Promise.all(running.map((info) => withProgress(client, info, queryTimeoutMs)));
    },
  };
}
