import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EXPOSITION_CONTENT_TYPE,
  MetricsServerError,
  startMetricsServer,
  type MetricsServer,
} from './metrics-server';

const OWN =
  '# HELP tokenflow_calls_total Calls.\n# TYPE tokenflow_calls_total counter\ntokenflow_calls_total 3\n';
const TEMPORAL = '# TYPE temporal_request counter\ntemporal_request{operation="PollWorkflowTaskQueue"} 7\n';

const opened: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(opened.map((server) => server.close()));
});

async function started(options: Parameters<typeof startMetricsServer>[0]): Promise<MetricsServer> {
  const server = await startMetricsServer(options);
  opened.push(server);
  return server;
}

/** A stand-in for Temporal's core exporter. */
async function fakeTemporalExporter(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(TEMPORAL);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const exporter = {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  opened.push(exporter);
  return exporter;
}

describe('metrics server', () => {
  test('serves tokenflow’s metrics on 127.0.0.1 with Temporal’s SDK metrics appended', async () => {
    const exporter = await fakeTemporalExporter();
    const server = await started({ port: 0, exposition: async () => OWN, temporalMetricsUrl: exporter.url });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), EXPOSITION_CONTENT_TYPE);
    assert.equal(await response.text(), `${OWN}${TEMPORAL}`);
  });

  test('without Temporal’s exporter the scrape still answers, saying why its metrics are missing', async () => {
    const exporter = await fakeTemporalExporter();
    await exporter.close();
    const server = await started({ port: 0, exposition: async () => OWN, temporalMetricsUrl: exporter.url });
    const text = await (await fetch(server.url)).text();
    assert.ok(text.startsWith(OWN));
    assert.match(text, /^# Temporal SDK metrics unavailable: .+$/m);
  });

  test('other paths are 404', async () => {
    const server = await started({ port: 0, exposition: async () => OWN });
    const response = await fetch(server.url.replace('/metrics', '/'));
    assert.equal(response.status, 404);
    await response.text();
  });

  test('a port already in use fails in one sentence that says what to change', async () => {
    const first = await started({ port: 0, exposition: async () => OWN });
    await assert.rejects(
      startMetricsServer({ port: first.port, exposition: async () => OWN }),
      (error: unknown) => {
        assert.ok(error instanceof MetricsServerError);
        assert.equal(
          error.message,
          `Port ${first.port} on 127.0.0.1 is already in use, so the worker cannot serve its metrics there; ` +
            'set metrics.port (or TOKENFLOW_METRICS_PORT) to a free port, 0 for any free one, or off.',
        );
        return true;
      },
    );
  });
});
