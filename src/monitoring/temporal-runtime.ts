import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Runtime, type Logger } from '@temporalio/worker';

/**
 * The scrape URL of Temporal's core SDK exporter in this process, once {@link installTemporalRuntime} started
 * one. Process-wide, as the Runtime it mirrors: there is one per process.
 */
let temporalMetricsUrl: string | undefined;

/** Options of {@link installTemporalRuntime}. */
export interface TemporalRuntimeOptions {
  logger: Logger;
  /**
   * Have Temporal's core SDK export its worker and client metrics (Prometheus) on a free loopback port, which
   * the worker's metrics endpoint appends to its own scrape.
   */
  temporalMetrics?: boolean;
}

/** A port nothing listens on right now; the core exporter binds it next (a race only another binder can lose). */
async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Installs the Temporal Runtime of this process (it can be installed once, before any connection), with the
 * core SDK's Prometheus exporter when asked. The exporter keeps the SDK's own names and units
 * (`temporal_` prefix, durations in milliseconds), as Temporal documents them.
 */
export async function installTemporalRuntime(options: TemporalRuntimeOptions): Promise<void> {
  if (!options.temporalMetrics) {
    Runtime.install({ logger: options.logger });
    return;
  }
  const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  Runtime.install({ logger: options.logger, telemetryOptions: { metrics: { prometheus: { bindAddress } } } });
  temporalMetricsUrl = `http://${bindAddress}/metrics`;
}

/** Where Temporal's SDK metrics of this process can be scraped; undefined when they are off. */
export function temporalCoreMetricsUrl(): string | undefined {
  return temporalMetricsUrl;
}
