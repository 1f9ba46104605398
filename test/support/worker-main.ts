import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load-config';
import { createTokenflowWorkers } from '../../src/workers/worker';
import { WORKER_READY_LINE, WORKER_SPEC_VARIABLE, type WorkerProcessSpec } from './worker-process';

/**
 * Entry point of a tokenflow worker in its own process, so crash tests can SIGKILL a real worker:
 * `TOKENFLOW_TEST_WORKER='{"address":…,"namespace":…,"configOverrides":{…}}' node --import tsx test/support/worker-main.ts`.
 * Prints `worker-ready` on stdout once the workers poll; stops gracefully on SIGINT/SIGTERM (Temporal's
 * runtime handles those) and when the parent closes its end of stdin.
 */

const specSchema = z.object({
  address: z.string().min(1),
  namespace: z.string().min(1),
  configOverrides: z.record(z.string(), z.unknown()),
  workflowBundlePath: z.string().min(1).optional(),
}) satisfies z.ZodType<WorkerProcessSpec>;

/** How long the workers get to stop once the parent is gone before the process exits anyway. */
const ORPHAN_EXIT_MS = 10_000;

function readSpec(): WorkerProcessSpec {
  const raw = process.env[WORKER_SPEC_VARIABLE];
  if (!raw) throw new Error(`Set ${WORKER_SPEC_VARIABLE} to the worker's JSON spec; see worker-process.ts.`);
  return specSchema.parse(JSON.parse(raw));
}

async function run(): Promise<void> {
  const spec = readSpec();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = spec.configOverrides.dataDir;
  if (typeof dataDir !== 'string') throw new Error('configOverrides.dataDir must name the test data folder.');
  const config = loadConfig({ environment: {}, cwd: dataDir, overrides: spec.configOverrides });
  const connection = await NativeConnection.connect({ address: spec.address });
  try {
    const workers = await createTokenflowWorkers({
      config: { ...config, temporal: { ...config.temporal, namespace: spec.namespace } },
      connection,
      ...(spec.workflowBundlePath ? { workflowBundle: { codePath: spec.workflowBundlePath } } : {}),
    });
    const running = workers.run();
    process.stdout.write(`${WORKER_READY_LINE}\n`);
    // A test runner that dies without killing its children must not leave workers polling behind it.
    if (!process.stdin.isTTY) {
      process.stdin.once('close', () => {
        workers.shutdown();
        setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
      });
      process.stdin.resume();
    }
    try {
      await running;
    } finally {
      process.stdin.destroy();
    }
  } finally {
    await connection.close();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
