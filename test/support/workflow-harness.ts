import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load-config';
import { buildRunSettings, type RunOverrides } from '../../src/config/run-settings';
import type { AppConfig } from '../../src/config/schema';
import type { AnalysisRequest, AnalysisResult, RunSettings } from '../../src/core/run-types';
import { openUsageStore, type UsageStore } from '../../src/storage/usage-store';
import { installTemporalRuntime } from '../../src/monitoring/temporal-runtime';
import { createTokenflowWorkers } from '../../src/workers/worker';
import type { analysisWorkflow } from '../../src/workflows/analysis-workflow';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeServerOptions } from './fake-openai-server';
import { startTemporal, workflowBundle } from './temporal-test-environment';

let runtimeInstalled = false;
async function installQuietRuntime(temporalMetrics: boolean): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  await installTemporalRuntime({ logger: new DefaultLogger('WARN'), temporalMetrics });
}

/** Options of the harness itself (the fake server's are the first argument of {@link startHarness}). */
export interface HarnessOptions {
  /** Have Temporal's SDK export its metrics, which workers serving metrics append to theirs. */
  temporalMetrics?: boolean;
}

/** One real Temporal dev server, one fake OpenAI server and a temporary data folder for a test file. */
export interface Harness {
  env: TestWorkflowEnvironment;
  server: FakeOpenAiServer;
  dataDir: string;
  store: UsageStore;
  close(): Promise<void>;
}

export async function startHarness(
  serverOptions: FakeServerOptions = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  await installQuietRuntime(options.temporalMetrics ?? false);
  const env = await startTemporal();
  const server = await startFakeOpenAiServer(serverOptions);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tokenflow-test-'));
  const store = await openUsageStore(path.join(dataDir, 'tokenflow.db'));
  return {
    env,
    server,
    dataDir,
    store,
    async close() {
      await store.close();
      await server.close();
      await env.teardown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let queueCounter = 0;

/** Config of one test: the fake server as the OpenAI endpoint, a unique task queue, no environment leaking in. */
export function testConfig(harness: Harness, overrides: Record<string, unknown> = {}): AppConfig {
  queueCounter += 1;
  return loadConfig({
    environment: {},
    cwd: harness.dataDir,
    overrides: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      openai: { baseUrl: harness.server.url, apiKey: 'test-key' },
      dataDir: harness.dataDir,
      temporal: { taskQueue: `tokenflow-test-${process.pid}-${queueCounter}` },
      invoke: { startToCloseSeconds: 60, heartbeatTimeoutSeconds: 5, maximumAttempts: 3 },
      ...overrides,
    },
  });
}

export function testRequest(overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return {
    ticker: 'SPX',
    date: '2020-04-17',
    mode: 'optimized',
    researchRounds: 1,
    riskRounds: 1,
    ...overrides,
  };
}

export interface RunOptions {
  config: AppConfig;
  request?: Partial<AnalysisRequest>;
  settings?: Partial<RunSettings>;
  runOverrides?: RunOverrides;
  workflowId?: string;
  /** Workflows entry other than `src/workflows`, e.g. one that registers an extra agent first. */
  workflowsPath?: string;
}

/** The workers of one test config on the harness's server, sharing its store and the bundled workflows. */
export async function createWorkers(
  harness: Harness,
  config: AppConfig,
  store: UsageStore = harness.store,
  workflowsPath?: string,
) {
  return createTokenflowWorkers({
    config,
    connection: harness.env.nativeConnection,
    workflowBundle: await workflowBundle(workflowsPath),
    store,
  });
}

/** Starts a worker for the run's config, runs one analysis to its end, and returns the handle's outcome. */
export async function runAnalysis(harness: Harness, options: RunOptions) {
  const { config } = options;
  const settings = { ...buildRunSettings(config, options.runOverrides), ...options.settings };
  const workers = await createWorkers(harness, config, harness.store, options.workflowsPath);
  const workflowId = options.workflowId ?? `test-${config.temporal.taskQueue}`;
  const handle = await harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ request: testRequest(options.request), settings }],
  });
  const outcome = await workers.runUntil(
    handle.result().then(
      (result: AnalysisResult) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  );
  return { handle, settings, workflowId, ...outcome };
}
