import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunSummary, UsageStore } from '../storage/usage-store';
import { makeRecord } from '../storage/test-fixtures';
import { ledgerEngines, openTestStore } from '../storage/test-ledgers';
import type { LiveRunsResponse } from './live-run-view';
import type { LiveRun, LiveRunSource } from './live-runs';
import { startDashboardServer, type DashboardServer } from './server';
import { writeSampleBacktestReport } from './test-backtest-reports';

const HOSTILE = '<img src=x onerror=alert(1)>';

function run(overrides: Partial<RunSummary>): RunSummary {
  return {
    workflowId: 'analysis-AAPL-1',
    ticker: 'AAPL',
    date: '2008-06-02',
    mode: 'optimized',
    decision: 'BUY',
    totalTokens: 12_000,
    budgetTokens: 40_000,
    costUsd: 0.0042,
    budgetStatus: 'within',
    startedAt: '2026-03-01T10:00:00.000Z',
    finishedAt: '2026-03-01T10:02:00.000Z',
    ...overrides,
  };
}

/** A plain HTTP GET (or another method) with an explicit Host header, which fetch() will not let a caller set. */
function get(
  url: string,
  options: { method?: string; host?: string } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const outgoing = httpRequest(
      target,
      { method: options.method ?? 'GET', headers: options.host ? { host: options.host } : {} },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body, headers: response.headers }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

for (const { engine, skip } of ledgerEngines()) {
  describe(`dashboard server (${engine})`, { skip }, () => {
    let store: UsageStore;
    let server: DashboardServer;
    let folder: string;
    let live: LiveRun[] | Error = [];
    const liveRuns: LiveRunSource = {
      listRunning: async () => {
        if (live instanceof Error) throw live;
        return live;
      },
    };

    before(async () => {
      store = await openTestStore(engine);
      await store.recordRun(run({}));
      await store.recordRun(
        run({
          workflowId: 'analysis-MSFT-1',
          ticker: 'MSFT',
          decision: 'SELL',
          startedAt: '2026-03-02T10:00:00.000Z',
        }),
      );
      await store.recordRun(
        run({
          workflowId: HOSTILE,
          ticker: HOSTILE,
          mode: 'baseline',
          decision: undefined,
          totalTokens: 200_000,
          budgetStatus: 'exhausted',
          startedAt: '2026-03-02T11:00:00.000Z',
        }),
      );
      await store.recordUsage(makeRecord({ workflowId: 'analysis-AAPL-1', agent: 'market_analyst' }));
      await store.recordUsage(
        makeRecord({ workflowId: HOSTILE, agent: 'news_analyst', finishReason: HOSTILE, attemptRecords: [] }),
      );
      await store.recordAlerts(
        [
          {
            key: `run_exhausted:${HOSTILE}`,
            rule: 'run_exhausted',
            day: '2026-03-02',
            workflowId: HOSTILE,
            message: `Run ${HOSTILE} exhausted its budget after 200000 tokens.`,
            value: 200_000,
            threshold: 40_000,
          },
          {
            key: 'daily_cost:2026-03-01',
            rule: 'daily_cost',
            day: '2026-03-01',
            message: '2026-03-01: spend $9.0000 is over the $5 daily alert threshold.',
            value: 9,
            threshold: 5,
          },
        ],
        '2026-03-02T11:05:00.000Z',
      );
      await store.markAlertDelivered('daily_cost:2026-03-01', '2026-03-02T11:05:01.000Z');
      await store.saveReport({
        day: '2026-03-01',
        workflowId: 'daily-report-2026-03-01',
        createdAt: '2026-03-02T00:15:00.000Z',
        summary: `tokenflow daily report 2026-03-01: 1 run ${HOSTILE}`,
        markdown: '# tokenflow daily report 2026-03-01',
        html: '<!doctype html><title>stored report</title><p id="stored">stored page</p>',
      });
      // A report the dashboard may show, a malformed one, and one outside the reports folder it must not reach.
      folder = await mkdtemp(path.join(tmpdir(), 'tokenflow-dashboard-server-'));
      const reportsDirectory = path.join(folder, 'reports');
      await writeSampleBacktestReport(reportsDirectory);
      await writeFile(path.join(reportsDirectory, 'backtest-broken.json'), '{"backtestId": "backtest-brok');
      await writeSampleBacktestReport(folder, { backtestId: 'backtest-outside', ticker: 'OUTSIDE' });
      server = await startDashboardServer({
        ledger: store,
        reportsDirectory,
        liveRuns,
        temporalUi: { url: 'http://localhost:8233', namespace: 'default' },
        port: 0,
        now: () => new Date('2026-03-02T12:00:00.000Z'),
        log: () => undefined,
      });
    });

    after(async () => {
      await server?.close();
      await store?.close();
      if (folder) await rm(folder, { recursive: true, force: true });
    });

    test('the runs page lists the ledger’s runs newest first, ledger text escaped', async () => {
      const page = await get(`${server.url}/`);
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
      const order = ['&lt;img src=x onerror=alert(1)&gt;', 'analysis-MSFT-1', 'analysis-AAPL-1'].map((text) =>
        page.body.indexOf(text),
      );
      assert.ok(
        order.every((index) => index > 0),
        `every run is listed: ${order.join(', ')}`,
      );
      assert.deepEqual(
        [...order].sort((left, right) => left - right),
        order,
        'newest first',
      );
      assert.ok(!page.body.includes(HOSTILE), 'no ledger text becomes markup');
    });

    test('filters narrow the list; the JSON list answers the same', async () => {
      const page = await get(`${server.url}/?ticker=msft`);
      assert.equal(page.status, 200);
      assert.match(page.body, /analysis-MSFT-1/);
      assert.doesNotMatch(page.body, /analysis-AAPL-1/);
      const list = JSON.parse((await get(`${server.url}/api/runs?mode=baseline`)).body) as {
        runs: RunSummary[];
      };
      assert.deepEqual(
        list.runs.map((entry) => entry.workflowId),
        [HOSTILE],
      );
      const paged = JSON.parse((await get(`${server.url}/api/runs?limit=1&offset=1`)).body) as {
        runs: RunSummary[];
        hasMore: boolean;
      };
      assert.deepEqual(
        paged.runs.map((entry) => entry.workflowId),
        ['analysis-MSFT-1'],
      );
      assert.equal(paged.hasMore, true);
    });

    test('a bad parameter is a 400 saying what to change; an unknown run or page a 404', async () => {
      const bad = await get(`${server.url}/?mode=fast`);
      assert.equal(bad.status, 400);
      assert.match(bad.body, /mode must be one of optimized, baseline \(got &quot;fast&quot;\)/);
      const badJson = await get(`${server.url}/api/runs?limit=none`);
      assert.equal(badJson.status, 400);
      assert.match(JSON.parse(badJson.body).error, /^limit must be a whole number/);
      assert.equal((await get(`${server.url}/runs/%E0%A4%A`)).status, 400);
      assert.equal((await get(`${server.url}/trends?days=0`)).status, 400);
      const missing = await get(`${server.url}/runs/no-such-run`);
      assert.equal(missing.status, 404);
      assert.match(missing.body, /The ledger has no run &quot;no-such-run&quot;/);
      assert.equal((await get(`${server.url}/nothing-here`)).status, 404);
      assert.equal((await get(`${server.url}/constructor`)).status, 404, 'no inherited property is a route');
    });

    test('it only reads, and only for the loopback names', async () => {
      assert.equal((await get(`${server.url}/`, { method: 'POST' })).status, 405);
      const head = await get(`${server.url}/`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal((await get(`${server.url}/`, { host: 'attacker.example:80' })).status, 421);
      const port = new URL(server.url).port;
      assert.equal((await get(`${server.url}/`, { host: `localhost:${port}` })).status, 200);
    });

    test('a run page escapes the ledger’s text and links to the Temporal UI', async () => {
      const page = await get(`${server.url}/runs/${encodeURIComponent(HOSTILE)}`);
      assert.equal(page.status, 200);
      assert.ok(!page.body.includes(HOSTILE));
      assert.match(page.body, /&lt;img src=x onerror=alert\(1\)&gt;/);
      assert.ok(
        page.body.includes(
          `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(HOSTILE)}`,
        ),
      );
    });

    test('the trends page charts the window’s days and compares the modes per run', async () => {
      const page = await get(`${server.url}/trends?days=7`);
      assert.equal(page.status, 200);
      assert.match(page.body, /"labels":\["2026-02-24",.*"2026-03-02"\]/);
      assert.match(page.body, /fewer tokens\s+than a\s+baseline\s+run/);
      assert.match(page.body, /id="alerts"/);
    });

    test('the trends page lists the ledger’s alerts, newest first, and the stored daily reports', async () => {
      const page = await get(`${server.url}/trends`);
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.body, /Not built yet/);
      assert.ok(!page.body.includes(HOSTILE), 'no ledger text becomes markup');
      const alerts = page.body.slice(
        page.body.indexOf('id="alert-list"'),
        page.body.indexOf('id="daily-reports"'),
      );
      const rows = [...alerts.matchAll(/<tr data-key="([^"]*)">([\s\S]*?)<\/tr>/g)];
      assert.deepEqual(
        rows.map((row) => row[1]),
        ['daily_cost:2026-03-01', 'run_exhausted:&lt;img src=x onerror=alert(1)&gt;'],
      );
      assert.match(rows[0]?.[2] ?? '', /delivered 2026-03-02 11:05:01 UTC/);
      assert.match(rows[1]?.[2] ?? '', /not delivered/);
      assert.ok((rows[1]?.[2] ?? '').includes(`href="/runs/${encodeURIComponent(HOSTILE)}"`));
      assert.match(page.body, /<a href="\/reports\/2026-03-01">2026-03-01<\/a>/);
      assert.match(page.body, /tokenflow daily report 2026-03-01: 1 run &lt;img/);
    });

    test('/reports/<day> serves the stored page; an unknown day is a 404, a malformed one a 400', async () => {
      const page = await get(`${server.url}/reports/2026-03-01`);
      assert.equal(page.status, 200);
      assert.equal(page.body, '<!doctype html><title>stored report</title><p id="stored">stored page</p>');
      const policy = String(page.headers['content-security-policy']);
      assert.match(policy, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/);
      assert.match(policy, /style-src 'sha256-[A-Za-z0-9+/=]+';/);
      const missing = await get(`${server.url}/reports/2026-02-28`);
      assert.equal(missing.status, 404);
      assert.match(missing.body, /The ledger has no report of 2026-02-28/);
      for (const bad of ['yesterday', '2026-13-01', '2026-03-01x', '%3Cimg%3E', '']) {
        const answer = await get(`${server.url}/reports/${bad}`);
        assert.equal(answer.status, 400, bad);
        assert.ok(!answer.body.includes('<img>'), bad);
      }
      assert.equal((await get(`${server.url}/reports/2026-03-01?x=1`)).status, 400);
    });

    test('/backtests lists the reports folder’s backtests, a malformed file with its note', async () => {
      const page = await get(`${server.url}/backtests`);
      assert.equal(page.status, 200);
      assert.match(page.body, /<tr data-backtest-id="backtest-1">/);
      assert.match(page.body, /<a href="\/backtests\/backtest-1">backtest-1<\/a>/);
      assert.match(
        page.body,
        /<tr data-backtest-id="backtest-broken" class="unreadable">[\s\S]*?The file is not JSON/,
      );
      assert.doesNotMatch(page.body, /OUTSIDE/);
      assert.equal((await get(`${server.url}/backtests?sort=old`)).status, 400);
    });

    test('/backtests/<id> shows one backtest; a malformed one says why; a bad id is a 400, an unknown one a 404', async () => {
      const page = await get(`${server.url}/backtests/backtest-1`);
      assert.equal(page.status, 200);
      assert.match(page.body, /<tr data-mode="optimized">[\s\S]*?66\.7% \(2 of 3\)/);
      assert.match(page.body, /<canvas data-chart="chart-backtest-tokens"/);
      assert.ok(
        page.body.includes(
          'http://localhost:8233/namespaces/default/workflows/backtest-1-2019-01-04-baseline',
        ),
      );
      const broken = await get(`${server.url}/backtests/backtest-broken`);
      assert.equal(broken.status, 200);
      assert.match(broken.body, /id="backtest-problem">The file is not JSON/);
      for (const bad of [
        '',
        '..%2Fbacktest-outside',
        '%2E%2E%2Fbacktest-outside',
        'backtest-1%2F..%2F..%2Fbacktest-outside',
        '%E0%A4%A',
        'backtest-%3Cimg%3E',
      ]) {
        const answer = await get(`${server.url}/backtests/${bad}`);
        assert.equal(answer.status, 400, bad);
        assert.doesNotMatch(answer.body, /OUTSIDE|<img>/, bad);
      }
      const missing = await get(`${server.url}/backtests/backtest-none`);
      assert.equal(missing.status, 404);
      assert.match(missing.body, /There is no backtest report backtest-none\.json/);
      assert.equal((await get(`${server.url}/backtests/backtest-1?x=1`)).status, 400);
    });

    test('/api/live: the running runs as the page shows them, or 503 when Temporal cannot be asked', async () => {
      live = [
        {
          workflowId: 'running-1',
          runId: 'r',
          startedAt: '2026-03-02T11:59:00.000Z',
          ticker: 'SPX',
          progress: {
            phase: 'analysts',
            currentAgents: ['market_analyst'],
            completedCalls: 1,
            plannedCalls: 12,
            tokensSpent: 1000,
            hardCap: 40_000,
            costUsd: 0,
            degradations: [],
            budgetStatus: 'within',
          },
        },
      ];
      const answer = JSON.parse((await get(`${server.url}/api/live`)).body) as LiveRunsResponse;
      assert.equal(answer.runs[0]?.tokens, '1,000 / 40,000');
      live = new Error('Cannot reach Temporal at localhost:7233');
      const down = await get(`${server.url}/api/live`);
      assert.equal(down.status, 503);
      assert.match(JSON.parse(down.body).error, /Cannot reach Temporal at localhost:7233/);
    });

    test('serves Chart.js and its own script and stylesheet', async () => {
      for (const asset of ['/assets/chart.umd.min.js', '/assets/dashboard.js', '/assets/dashboard.css']) {
        const response = await get(`${server.url}${asset}`);
        assert.equal(response.status, 200, asset);
        assert.ok(response.body.length > 500, asset);
      }
    });
  });
}
