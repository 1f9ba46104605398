import type { ConnectionLike } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { startMetricsServer, type MetricsServer } from './metrics-server';
import { runningRunBudgets } from './run-budgets';
import { temporalCoreMetricsUrl } from './temporal-runtime';
import { createTokenflowMetrics, type TokenflowMetrics } from './tokenflow-metrics';

/** Options of {@link createWorkerMetrics}. */
export interface WorkerMetricsOptions {
  /** 0 picks a free port. */
  port: number;
  connection: ConnectionLike;
  namespace: string;
  /** The workers' main task queue: the per-run budget gauges cover its running analyses. */
  taskQueue: string;
  payloadCodecs?: PayloadCodec[];
  /** Temporal's core exporter to append; defaults to the one this process's Runtime started, if any. */
  temporalMetricsUrl?: string;
}

/** A worker set's metrics and, once started, the endpoint serving them. */
export interface WorkerMetrics {
  metrics: TokenflowMetrics;
  /** Starts the endpoint and returns its URL (`http://127.0.0.1:<port>/metrics`); a port already taken fails here. */
  start(): Promise<string>;
  /** Stops the endpoint if it started. */
  close(): Promise<void>;
}

/**
 * The metrics of one worker set. Recording starts at once (activities are built with them); the endpoint starts
 * with {@link WorkerMetrics.start} and stops with {@link WorkerMetrics.close}, when the workers stop.
 */
export function createWorkerMetrics(options: WorkerMetricsOptions): WorkerMetrics {
  const metrics = createTokenflowMetrics({
    runBudgets: runningRunBudgets({
      connection: options.connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      ...(options.payloadCodecs ? { payloadCodecs: options.payloadCodecs } : {}),
    }),
  });
  let server: MetricsServer | undefined;
  return {
    metrics,
    async start() {
      const temporalMetricsUrl = options.temporalMetricsUrl ?? temporalCoreMetricsUrl();
      server ??= await startMetricsServer({
        port: options.port,
        exposition: () => metrics.exposition(),
        ...(temporalMetricsUrl === undefined ? {} : { temporalMetricsUrl }),
      });
      return server.url;
    },
    async close() {
      const running = server;
      server = undefined;
      await running?.close();
    },
  };
}
