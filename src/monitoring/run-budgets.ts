import { Client, type ConnectionLike } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { budgetQuery } from '../workflows/definitions';
import type { RunBudget, RunBudgetSource } from './tokenflow-metrics';

/** Options of {@link runningRunBudgets}. */
export interface RunningRunBudgetsOptions {
  /** The worker's connection (a `NativeConnection` serves a client too). */
  connection: ConnectionLike;
  namespace: string;
  /** Only runs of this task queue: the ones this worker serves (and answers the queries of). */
  taskQueue: string;
  /** The worker's payload codecs, so encrypted query results can be read. */
  payloadCodecs?: PayloadCodec[];
  /** Most runs reported per scrape; the gauges are per run, so this bounds their series too. */
  limit?: number;
  /** Longest wait for one run's answer; a run that does not answer in time is left out of that scrape. */
  queryTimeoutMs?: number;
}

const DEFAULT_LIMIT = 200;
const DEFAULT_QUERY_TIMEOUT_MS = 2000;

/** `value` as a string literal of Temporal's list filter. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${milliseconds} ms`)), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The budget of every running analysis of a task queue, read at scrape time from the runs themselves: the
 * budget lives in workflow state, and its `budget` query is the one place that knows it (no activity is told
 * the run's cap). Runs are found through Temporal's visibility; one that closed since then refuses the query
 * (`NOT_OPEN`) and so drops out, as does one that does not answer in time.
 */
export function runningRunBudgets(options: RunningRunBudgetsOptions): RunBudgetSource {
  const client = new Client({
    connection: options.connection,
    namespace: options.namespace,
    ...(options.payloadCodecs ? { dataConverter: { payloadCodecs: options.payloadCodecs } } : {}),
    workflow: { queryRejectCondition: 'NOT_OPEN' },
  });
  const limit = options.limit ?? DEFAULT_LIMIT;
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const filter =
    `WorkflowType = 'analysisWorkflow' AND ExecutionStatus = 'Running' ` +
    `AND TaskQueue = ${quoted(options.taskQueue)}`;

  return async () => {
    const running: string[] = [];
    try {
      for await (const execution of client.workflow.list({ query: filter, pageSize: limit })) {
        running.push(execution.workflowId);
        if (running.length >= limit) break;
      }
    } catch {
      // Temporal out of reach: this scrape has no per-run gauges, and the ledger's figures still go out.
      return [];
    }
    const answers = await Promise.allSettled(
      running.map(async (workflowId): Promise<RunBudget> => {
        const budget = await withTimeout(client.workflow.getHandle(workflowId).query(budgetQuery), timeoutMs);
        return { workflowId, hardCap: budget.hardCap, remaining: budget.remaining };
      }),
    );
    return answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
  };
}
