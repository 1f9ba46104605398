import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The Prometheus text format both tokenflow's registry and Temporal's core exporter write. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Only the local machine can scrape: the figures name workflows and models. */
const HOST = '127.0.0.1';

/** How long a scrape waits for Temporal's core exporter before serving tokenflow's metrics without them. */
const TEMPORAL_SCRAPE_TIMEOUT_MS = 2000;

/** The metrics endpoint could not start; the message says what to change. */
export class MetricsServerError extends Error {
  override name = 'MetricsServerError';
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** tokenflow's metrics in Prometheus text. */
  exposition: () => Promise<string>;
  /**
   * The scrape URL of Temporal's core SDK exporter (a loopback port of its own): its text is appended to every
   * scrape, so one endpoint carries both.
   */
  temporalMetricsUrl?: string;
}

/** Temporal's SDK metrics, or a comment saying why they are missing from this scrape. */
async function temporalExposition(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TEMPORAL_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return `# Temporal SDK metrics unavailable: HTTP ${response.status}\n`;
    const text = await response.text();
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `# Temporal SDK metrics unavailable: ${reason.replace(/\s+/g, ' ')}\n`;
  }
}

function startupError(error: NodeJS.ErrnoException, port: number): Error {
  const change = 'set metrics.port (or TOKENFLOW_METRICS_PORT) to a free port, 0 for any free one, or off';
  if (error.code === 'EADDRINUSE')
    return new MetricsServerError(
      `Port ${port} on ${HOST} is already in use, so the worker cannot serve its metrics there; ${change}.`,
    );
  if (error.code === 'EACCES')
    return new MetricsServerError(
      `Port ${port} on ${HOST} needs privileges this process lacks, so the worker cannot serve its metrics there; ${change}.`,
    );
  return error;
}

/** Serves `GET /metrics` on 127.0.0.1: tokenflow's metrics, then Temporal's SDK metrics when they are on. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found: metrics are under /metrics.\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Use GET.\n');
      return;
    }
    Promise.all([
      options.exposition(),
      options.temporalMetricsUrl === undefined ? '' : temporalExposition(options.temporalMetricsUrl),
    ]).then(
      ([own, temporal]) => {
        response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
        response.end(request.method === 'HEAD' ? undefined : `${own}${temporal}`);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(
          `Metrics could not be collected: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(startupError(error, options.port));
    server.once('error', onError);
    server.listen(options.port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // The workers keep a worker process alive; a server left behind by a start-up that failed after it must not.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}/metrics`,
    port,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A scraper's keep-alive connection would otherwise hold the close open until it times out.
        server.closeAllConnections();
      });
    },
  };
}
