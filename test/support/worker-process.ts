import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../../src/config/schema';
import { projectDirectory, workflowBundle } from './temporal-test-environment';
import type { Harness } from './workflow-harness';

/** Environment variable holding the JSON {@link WorkerProcessSpec} of a worker process. */
export const WORKER_SPEC_VARIABLE = 'TOKENFLOW_TEST_WORKER';
/** The line a worker process prints on stdout once its workers poll. */
export const WORKER_READY_LINE = 'worker-ready';

/** What `worker-main.ts` reads from {@link WORKER_SPEC_VARIABLE}. */
export interface WorkerProcessSpec {
  /** Temporal frontend, `host:port`. */
  address: string;
  namespace: string;
  /** Overrides for `loadConfig`, as `testConfig` passes them (a whole resolved `AppConfig` is fine). */
  configOverrides: Record<string, unknown>;
  /** A workflow bundle written to disk by the parent; without it the child bundles the workflows itself. */
  workflowBundlePath?: string;
}

export interface WorkerProcessOptions {
  harness: Harness;
  /** The test's config (from `testConfig`); the child loads the same values again with `loadConfig`. */
  config: AppConfig;
  /** How long the child may take to print {@link WORKER_READY_LINE}; 90 s by default. */
  readyTimeoutMs?: number;
}

export interface WorkerProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A tokenflow worker running in a child process of the test. */
export interface WorkerProcess {
  pid: number;
  /** Sends `signal` (SIGTERM, a graceful shutdown, by default) unless the process has already exited. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited; never rejects. */
  exited: Promise<WorkerProcessExit>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

const entryPoint = path.join(__dirname, 'worker-main.ts');
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const running = new Set<WorkerProcess>();
const bundleFiles = new Map<string, Promise<string>>();

/**
 * The workflows bundled once in the test process and written into the harness's data folder, so each child
 * starts in about a second instead of running webpack again.
 */
function bundleFile(harness: Harness): Promise<string> {
  let file = bundleFiles.get(harness.dataDir);
  if (!file) {
    file = workflowBundle().then((bundle) => {
      const filePath = path.join(harness.dataDir, 'workflow-bundle.js');
      writeFileSync(filePath, bundle.code);
      return filePath;
    });
    bundleFiles.set(harness.dataDir, file);
  }
  return file;
}

/**
 * Starts `worker-main.ts` with the current node and tsx, serving `config`'s task queues on the harness's
 * Temporal server and sharing its data folder (and so its SQLite store). Resolves once the child's workers
 * poll; rejects with the child's output when it exits first or is not ready within the timeout.
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { harness, config } = options;
  const spec: WorkerProcessSpec = {
    address: harness.env.address,
    namespace: harness.env.namespace ?? 'default',
    configOverrides: JSON.parse(JSON.stringify(config)) as Record<string, unknown>,
    workflowBundlePath: await bundleFile(harness),
  };
  // The child is no test file: it must not think it runs under node:test.
  const { NODE_TEST_CONTEXT: _testContext, ...environment } = process.env;
  // stdin stays open as a lifeline: the child stops when the test process dies and the pipe closes.
  const child = spawn(process.execPath, ['--import', 'tsx', entryPoint], {
    cwd: projectDirectory,
    env: { ...environment, [WORKER_SPEC_VARIABLE]: JSON.stringify(spec) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  let output = '';
  let stdoutLine = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    output += text;
    stdoutLine += text;
    const lines = stdoutLine.split('\n');
    stdoutLine = lines.pop() ?? '';
    if (lines.some((line) => line.trim() === WORKER_READY_LINE)) markReady();
  });
  child.stderr.on('data', (text: string) => {
    output += text;
  });
  // A pipe to a dead child must not crash the test process.
  child.stdin.on('error', () => undefined);

  let spawnError: Error | undefined;
  const exited = new Promise<WorkerProcessExit>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      // Without a pid the process never started, so no exit event follows.
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const worker: WorkerProcess = {
    pid: child.pid ?? -1,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited,
    output: () => output,
  };
  running.add(worker);
  void exited.then(() => running.delete(worker));

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), readyTimeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome === 'ready') return worker;

  worker.kill('SIGKILL');
  const exit = await exited;
  const reason =
    outcome === 'timeout'
      ? `was not ready within ${readyTimeoutMs} ms`
      : spawnError
        ? `could not start (${spawnError.message})`
        : `exited before it was ready (code ${exit.code}, signal ${exit.signal})`;
  throw new Error(`The worker process ${reason}; its output:\n${output}`);
}

/** SIGKILLs every worker process still running and waits until they are gone (for a test's `after`). */
export async function killAllWorkerProcesses(): Promise<void> {
  const workers = [...running];
  for (const worker of workers) worker.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
}
