import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { payloadCodecsFromEnvironment } from '../codec/encryption-codec';
import type { AppConfig } from '../config/schema';
import { projectRoot } from './project-root';

function isLocalAddress(address: string): boolean {
  return /^(localhost|127\.0\.0\.1|\[::1\]):\d+$/.test(address);
}

/**
 * Connects to Temporal. For the default local address, starts the project's dev server first when it is
 * not running (idempotent), so `tokenflow analyze` works on a fresh machine.
 */
export async function connectTemporal(
  config: AppConfig,
  options: { startDevServer: boolean },
): Promise<Connection> {
  try {
    return await Connection.connect({ address: config.temporal.address, connectTimeout: '3s' });
  } catch (error) {
    if (!options.startDevServer || !isLocalAddress(config.temporal.address)) {
      throw new Error(
        `Cannot reach Temporal at ${config.temporal.address} (${(error as Error).message}); start it with "tokenflow dev" or set TEMPORAL_ADDRESS.`,
      );
    }
  }
  startDevServer(config);
  return Connection.connect({ address: config.temporal.address, connectTimeout: '10s' });
}

/** Runs scripts/dev-server.sh start (reuses a running server). */
export function startDevServer(config: AppConfig): void {
  const script = path.join(projectRoot(), 'scripts', 'dev-server.sh');
  const port = config.temporal.address.split(':').pop();
  const outcome = spawnSync('bash', [script, 'start'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, TOKENFLOW_DATA_DIR: config.dataDir, ...(port ? { TEMPORAL_PORT: port } : {}) },
  });
  if (outcome.status !== 0) throw new Error(`The Temporal dev server did not start (see the output above).`);
}

/**
 * A client on the configured namespace. With TOKENFLOW_PAYLOAD_KEY set in `environment`, payloads are
 * encrypted before they leave this process, as the workers' are.
 */
export function createClient(
  connection: Connection,
  config: AppConfig,
  environment: NodeJS.ProcessEnv = process.env,
): Client {
  const payloadCodecs = payloadCodecsFromEnvironment(environment);
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(payloadCodecs.length > 0 ? { dataConverter: { payloadCodecs } } : {}),
  });
}
