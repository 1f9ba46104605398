import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createAlertActivities } from '../activities/alert-activities';
import { createBacktestActivities } from '../activities/backtest-activities';
import { createCalibrationActivities } from '../activities/calibration-activities';
import { createComparisonActivities } from '../activities/comparison-activities';
import { createDataActivities } from '../activities/data-activities';
import { createInvokeActivity } from '../activities/invoke-activity';
import { createPipelineActivities } from '../activities/pipeline-activities';
import { createPoolActivities } from '../activities/pool-activities';
import { createReportActivities } from '../activities/report-activities';
import { createUsageActivities } from '../activities/usage-activities';
import { payloadCodecsFromEnvironment } from '../codec/encryption-codec';
import { invokeTaskQueue, poolDefinitionsOf } from '../config/run-settings';
import type { AppConfig } from '../config/schema';
import { sharedTiktokenCounter } from '../core/token-counter';
import type { TokenCounter } from '../core/types';
import { createMarketDataProvider } from '../data/create-provider';
import { getLocalModel } from '../llm/local-model';
import { createLocalProvider } from '../llm/local-provider';
import { createLocalTokenCounter } from '../llm/local-token-counter';
import { createOpenAiProvider } from '../llm/openai-provider';
import type { ChatProvider } from '../llm/provider';
import { metricsPortOf, type ServeMetrics } from '../monitoring/metrics-settings';
import { observeLedger } from '../monitoring/observe-ledger';
import { createWorkerMetrics } from '../monitoring/worker-metrics';
import { alertThresholdsOf } from '../reports/build-daily-report';
import { ledgerLocationOf, openUsageStore, type UsageStore } from '../storage/usage-store';

export interface TokenflowWorkerOptions {
  config: AppConfig;
  connection: NativeConnection;
  /** A pre-built workflow bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * An open store to share (tests); otherwise the config's ledger (`database.url`, else `<dataDir>/tokenflow.db`)
   * is opened and closed here.
   */
  store?: UsageStore;
  /** Replace the provider built from config (tests that point one worker at several servers). */
  providers?: Partial<Record<'openai' | 'local', ChatProvider>>;
  /** Payload codecs (tests); otherwise the encryption codec when TOKENFLOW_PAYLOAD_KEY is set. */
  payloadCodecs?: PayloadCodec[];
  /**
   * Serve Prometheus metrics on 127.0.0.1: `true` on `metrics.port` (9464 when unset), `false` never; absent,
   * only when `metrics.port` is set (the in-process worker of `tokenflow analyze`).
   */
  metrics?: ServeMetrics;
}

export interface TokenflowWorkers {
  /** The ledger as the activities write it (with metrics recorded from each write when they are served). */
  store: UsageStore;
  /** `http://127.0.0.1:<port>/metrics` when the workers serve metrics. */
  metricsUrl?: string;
  /** Runs until shutdown; resolves when every worker has stopped. */
  run(): Promise<void>;
  shutdown(): void;
  /** Runs `work` while the workers poll, then shuts them down. */
  runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T>;
}

function workflowSource(
  options: TokenflowWorkerOptions,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: require.resolve('../workflows') };
}

/**
 * Builds the workers of one process: the main task queue (workflows, pure pipeline steps, data, usage) and
 * the invoke activity's own queue, so calls wait in Temporal rather than at the model. For the local model
 * that queue has one slot, one generation at a time instead of thrashing the CPU (the model is loaded once per
 * process); for an OpenAI-compatible endpoint it has `openai.maxConcurrentCalls` slots and, when set, the
 * server-side rate `openai.requestsPerSecond` shared by every worker of the endpoint.
 */
export async function createTokenflowWorkers(options: TokenflowWorkerOptions): Promise<TokenflowWorkers> {
  const { config, connection } = options;
  const ownsStore = !options.store;
  const store = options.store ?? (await openUsageStore(ledgerLocationOf(config)));
  const modelSettings = config.models[config.model];
  if (!modelSettings) throw new Error(`No model settings for "${config.model}".`);
  const metricsPort = metricsPortOf(config, options.metrics);
  const workerMetrics =
    metricsPort === undefined
      ? undefined
      : createWorkerMetrics({
          port: metricsPort,
          connection,
          namespace: config.temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          payloadCodecs: options.payloadCodecs ?? payloadCodecsFromEnvironment(process.env),
        });
  // Metrics are recorded from what the ledger writes, so they and the ledger cannot disagree.
  const ledger = workerMetrics ? observeLedger(store, workerMetrics.metrics) : store;
  // Before the workers take the connection: a port already in use then fails the start in its own words.
  const metricsUrl = await workerMetrics?.start();

  const providers: Partial<Record<'openai' | 'local', ChatProvider>> = { ...options.providers };
  const counters = new Map<string, TokenCounter>();
  if (config.provider === 'openai' && !providers.openai) {
    providers.openai = createOpenAiProvider({
      baseUrl: config.openai.baseUrl,
      apiKey: config.openai.apiKey,
      firstByteTimeoutMs: config.openai.firstByteTimeoutSeconds * 1000,
      idleTimeoutMs: config.openai.idleTimeoutSeconds * 1000,
    });
  }
  if (config.provider === 'local') {
    const localOptions = {
      modelPath: config.local.modelPath,
      threads: config.local.threads,
      contextSize: config.local.contextSize,
    };
    providers.local ??= createLocalProvider(localOptions);
    // Loads the model once for this process (the counter and the provider share it) and fails early with a
    // clear sentence when the file is missing.
    await getLocalModel(localOptions);
    counters.set(config.model, await createLocalTokenCounter(localOptions.modelPath));
  }
  const counterFor = (model: string): TokenCounter => {
    const existing = counters.get(model);
    if (existing) return existing;
    const settings = config.models[model];
    const encoding = settings && settings.tokenizer !== 'model' ? settings.tokenizer : 'o200k_base';
    const counter = sharedTiktokenCounter(encoding);
    counters.set(model, counter);
    return counter;
  };

  const invoke = createInvokeActivity({ providers, counterFor, metrics: workerMetrics?.metrics });
  const marketData = createMarketDataProvider(config.dataSource);
  const reportsDirectory = path.join(config.dataDir, 'reports');
  // The webhook's URL stays here, in the worker's config: workflows only ever name alerts and days.
  const alerting = {
    store,
    thresholds: alertThresholdsOf(config),
    ...(config.alerts.webhookUrl === undefined ? {} : { webhookUrl: config.alerts.webhookUrl }),
    temporalUi: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
  };
  const mainActivities = {
    ...createPipelineActivities({ counterFor }),
    ...createDataActivities({ provider: marketData }),
    ...createBacktestActivities({ provider: marketData, store, reportsDirectory }),
    ...createUsageActivities({ store: ledger }),
    ...createCalibrationActivities({ store, config }),
    ...createAlertActivities(alerting),
    ...createReportActivities(alerting),
    ...createComparisonActivities({ reportsDirectory }),
    ...createPoolActivities({ pools: poolDefinitionsOf(config), taskQueue: config.temporal.taskQueue }),
    // Runs started before model calls moved to their own queue still schedule them on the main one: serve them
    // there too, so a rolling upgrade does not strand them.
    ...(config.provider === 'openai' ? invoke : {}),
  };

  const dataConverter = {
    payloadCodecs: options.payloadCodecs ?? payloadCodecsFromEnvironment(process.env),
  };
  const workers: Worker[] = [
    await Worker.create({
      connection,
      dataConverter,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...workflowSource(options),
      activities: mainActivities,
    }),
  ];
  workers.push(
    await Worker.create({
      connection,
      dataConverter,
      namespace: config.temporal.namespace,
      taskQueue: invokeTaskQueue(config),
      activities: invoke,
      ...(config.provider === 'local'
        ? { maxConcurrentActivityTaskExecutions: 1 }
        : {
            maxConcurrentActivityTaskExecutions: config.openai.maxConcurrentCalls,
            ...(config.openai.requestsPerSecond === undefined
              ? {}
              : { maxTaskQueueActivitiesPerSecond: config.openai.requestsPerSecond }),
          }),
      // The SDK otherwise sends a heartbeat only every 80% of the heartbeat timeout (24 s of 30): the live token
      // count would reach Temporal that late, and a killed worker would lose up to that much of it.
      maxHeartbeatThrottleInterval: '1s',
      defaultHeartbeatThrottleInterval: '1s',
    }),
  );

  const closeMetricsAndStore = async () => {
    await workerMetrics?.close();
    if (ownsStore) await store.close();
  };
  return {
    store: ledger,
    ...(metricsUrl === undefined ? {} : { metricsUrl }),
    async run() {
      try {
        await Promise.all(workers.map((worker) => worker.run()));
      } finally {
        await closeMetricsAndStore();
      }
    },
    shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
    async runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T> {
      const [first, ...rest] = workers;
      if (!first) throw new Error('no worker');
      const promise = typeof work === 'function' ? work() : work;
      try {
        if (rest.length === 0) return await first.runUntil(promise);
        const others = rest.map((worker) => worker.run());
        try {
          return await first.runUntil(promise);
        } finally {
          for (const worker of rest) if (worker.getState() === 'RUNNING') worker.shutdown();
          await Promise.allSettled(others);
        }
      } finally {
        await closeMetricsAndStore();
      }
    },
  };
}
