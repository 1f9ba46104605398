import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createCalibrationActivities } from '../activities/calibration-activities';
import { createComparisonActivities } from '../activities/comparison-activities';
import { createDataActivities } from '../activities/data-activities';
import { createInvokeActivity } from '../activities/invoke-activity';
import { createPipelineActivities } from '../activities/pipeline-activities';
import { createUsageActivities } from '../activities/usage-activities';
import type { AppConfig } from '../config/schema';
import { sharedTiktokenCounter } from '../core/token-counter';
import type { TokenCounter } from '../core/types';
import { createMarketDataProvider } from '../data/create-provider';
import { getLocalModel } from '../llm/local-model';
import { createLocalProvider } from '../llm/local-provider';
import { createLocalTokenCounter } from '../llm/local-token-counter';
import { createOpenAiProvider } from '../llm/openai-provider';
import type { ChatProvider } from '../llm/provider';
import { openUsageStore, type UsageStore } from '../storage/usage-store';

export interface TokenflowWorkerOptions {
  config: AppConfig;
  connection: NativeConnection;
  /** A pre-built workflow bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** An open store to share (tests); otherwise `<dataDir>/tokenflow.db` is opened and closed here. */
  store?: UsageStore;
  /** Replace the provider built from config (tests that point one worker at several servers). */
  providers?: Partial<Record<'openai' | 'local', ChatProvider>>;
}

export interface TokenflowWorkers {
  store: UsageStore;
  /** Runs until shutdown; resolves when every worker has stopped. */
  run(): Promise<void>;
  shutdown(): void;
  /** Runs `work` while the workers poll, then shuts them down. */
  runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T>;
}

/** Path of the usage database under the data folder. */
export function usageDatabasePath(config: AppConfig): string {
  return path.join(config.dataDir, 'tokenflow.db');
}

function workflowSource(
  options: TokenflowWorkerOptions,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: require.resolve('../workflows') };
}

/**
 * Builds the workers of one process: the main task queue (workflows, pure pipeline steps, data, usage and,
 * for remote endpoints, invoke) and, for the local model, a one-slot queue that runs one generation at a
 * time so concurrent analysts queue instead of thrashing the CPU. The model is loaded once per process.
 */
export async function createTokenflowWorkers(options: TokenflowWorkerOptions): Promise<TokenflowWorkers> {
  const { config, connection } = options;
  const ownsStore = !options.store;
  const store = options.store ?? openUsageStore(usageDatabasePath(config));
  const modelSettings = config.models[config.model];
  if (!modelSettings) throw new Error(`No model settings for "${config.model}".`);

  const providers: Partial<Record<'openai' | 'local', ChatProvider>> = { ...options.providers };
  const counters = new Map<string, TokenCounter>();
  if (config.provider === 'openai' && !providers.openai) {
    providers.openai = createOpenAiProvider({
      baseUrl: config.openai.baseUrl,
      apiKey: config.openai.apiKey,
      timeoutMs: config.openai.requestTimeoutSeconds * 1000,
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

  const invoke = createInvokeActivity({ providers, counterFor });
  const mainActivities = {
    ...createPipelineActivities({ counterFor }),
    ...createDataActivities({ provider: createMarketDataProvider(config.dataSource) }),
    ...createUsageActivities({ store }),
    ...createCalibrationActivities({ store, config }),
    ...createComparisonActivities({ reportsDirectory: path.join(config.dataDir, 'reports') }),
    ...(config.provider === 'local' ? {} : invoke),
  };

  const workers: Worker[] = [
    await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...workflowSource(options),
      activities: mainActivities,
    }),
  ];
  if (config.provider === 'local') {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.localModelTaskQueue,
        activities: invoke,
        maxConcurrentActivityTaskExecutions: 1,
      }),
    );
  }

  const closeStore = () => {
    if (ownsStore) store.close();
  };
  return {
    store,
    async run() {
      try {
        await Promise.all(workers.map((worker) => worker.run()));
      } finally {
        closeStore();
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
        closeStore();
      }
    },
  };
}
