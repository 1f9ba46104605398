import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config/load-config';
import type { AppConfig } from '../../config/schema';
import { lazyConnection } from '../../dashboard/lazy-connection';
import { temporalLiveRuns } from '../../dashboard/live-runs';
import { startDashboardServer } from '../../dashboard/server';
import { ledgerLocationOf, openUsageStore, type UsageStore } from '../../storage/usage-store';
import { connectTemporal, createClient } from '../temporal-connection';
import { untilInterrupted } from '../until-interrupted';

/** Usage line of `tokenflow dashboard`, for the CLI's help. */
export const DASHBOARD_USAGE =
  'tokenflow dashboard [--port N]             web dashboard of runs and the ledger on 127.0.0.1 (port 8300)';

/** After a failed connection, the live section waits this long before asking Temporal again. */
const TEMPORAL_RETRY_MS = 5000;

/** The ledger the dashboard reads: the one the workers write (`database.url`, else the SQLite file under `dataDir`). */
async function openDashboardLedger(config: AppConfig): Promise<UsageStore> {
  return openUsageStore(ledgerLocationOf(config));
}

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535 (got "${text}").`);
  }
  return port;
}

/**
 * `tokenflow dashboard`: serves the dashboard on 127.0.0.1 until SIGINT/SIGTERM. The ledger pages work without
 * Temporal; the runs in progress need it, and the dashboard keeps trying to reach it.
 */
export async function dashboardCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, config: { type: 'string' } },
  });
  const config = loadConfig({ file: values.config });
  const port = parsePort(values.port, config.dashboard.port);
  const ledger = await openDashboardLedger(config);
  const temporal = lazyConnection<{ connection: Connection; client: Client }>(
    async () => {
      const connection = await connectTemporal(config, { startDevServer: false });
      return { connection, client: createClient(connection, config) };
    },
    { retryAfterMs: TEMPORAL_RETRY_MS },
  );
  try {
    const server = await startDashboardServer({
      ledger,
      liveRuns: temporalLiveRuns({ client: async () => (await temporal.get()).client }),
      temporalUi: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
      // Where the workers write backtest reports (`<dataDir>/reports`).
      reportsDirectory: path.join(config.dataDir, 'reports'),
      port,
    });
    process.stdout.write(
      [
        `Dashboard on ${server.url} (ledger: ${ledger.location}; Temporal: ${config.temporal.address}).`,
        'Stop it with Ctrl-C.',
        '',
      ].join('\n'),
    );
    await untilInterrupted();
    await server.close();
  } finally {
    await temporal.current()?.connection.close();
    await ledger.close();
  }
}
