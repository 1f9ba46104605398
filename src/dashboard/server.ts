import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { projectRoot } from '../cli/project-root';
import { REPORT_INLINE_SOURCES } from '../reports/report-page-assets';
import { DAY_PATTERN } from '../storage/columns';
import { backtestIdOf, listBacktestReports, readBacktestReport } from './backtest-reports';
import { CHART_LIBRARY_PATH, chartLibraryFile } from './chart-library';
import type { DashboardLedger } from './dashboard-ledger';
import { DashboardHttpError, badRequest, notFound } from './http-error';
import { liveRunView, type LiveRunsResponse } from './live-run-view';
import type { LiveRun, LiveRunSource } from './live-runs';
import type { TemporalUi } from './links';
import { backtestPage } from './pages/backtest-page';
import { backtestsPage } from './pages/backtests-page';
import { errorPage, type PageContext } from './pages/layout';
import { runPage } from './pages/run-page';
import { runsPage } from './pages/runs-page';
import { trendsPage } from './pages/trends-page';
import { parseRunListQuery, parseTrendsQuery, requireNoParameters } from './query-parameters';
import { runBreakdown } from './run-breakdown';
import { baselineComparison, dailySeries, trendWindow } from './trends';

/** The only address the dashboard listens on: the ledger is not for the network. */
const HOST = '127.0.0.1';

/** Alerts and daily reports the trends page lists, newest first. */
const ALERTS_SHOWN = 50;
const REPORTS_SHOWN = 30;

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  ledger: DashboardLedger;
  liveRuns: LiveRunSource;
  temporalUi: TemporalUi;
  /**
   * Where the backtest reports are: `<dataDir>/reports`, the folder the workers' `writeBacktestReport` writes.
   * Without it the backtests page says it has nothing to list.
   */
  reportsDirectory?: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Clock of the trends window; defaults to the system clock. */
  now?: () => Date;
  /** Where failures the user cannot fix are reported; defaults to stderr. */
  log?: (message: string) => void;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

interface Asset {
  file: string;
  contentType: string;
}

function assets(): Map<string, Asset> {
  const browserFolder = path.join(projectRoot(), 'src', 'dashboard', 'browser');
  return new Map([
    [CHART_LIBRARY_PATH, { file: chartLibraryFile(), contentType: 'text/javascript; charset=utf-8' }],
    [
      '/assets/dashboard.js',
      { file: path.join(browserFolder, 'dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
    ],
    [
      '/assets/dashboard.css',
      { file: path.join(browserFolder, 'dashboard.css'), contentType: 'text/css; charset=utf-8' },
    ],
  ]);
}

// Everything the page loads comes from the dashboard itself; nothing may frame it or be sent elsewhere.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

// A stored daily report is a standalone page: its own style and chart script are inline, allowed by their hashes.
const REPORT_SECURITY_HEADERS = {
  ...SECURITY_HEADERS,
  'content-security-policy': `default-src 'none'; script-src 'self' ${REPORT_INLINE_SOURCES.script}; style-src ${REPORT_INLINE_SOURCES.style}; img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
};

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  cache = 'no-store',
  headers: Readonly<Record<string, string>> = SECURITY_HEADERS,
): void {
  response.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': cache,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendHtml(response: ServerResponse, status: number, page: string): void {
  send(response, status, 'text/html; charset=utf-8', page);
}

/**
 * A page on 127.0.0.1 can still be reached by a site whose name is made to resolve there (DNS rebinding); such
 * a request carries that site's name as its Host, so only the loopback names are served.
 */
function checkHost(request: IncomingMessage, port: number): void {
  const host = (request.headers.host ?? '').toLowerCase();
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!allowed.includes(host)) {
    throw new DashboardHttpError(421, `The dashboard answers on http://127.0.0.1:${port} only.`);
  }
}

function decodeWorkflowId(encoded: string): string {
  let workflowId: string;
  try {
    workflowId = decodeURIComponent(encoded);
  } catch {
    throw badRequest(`The run id in the address is not valid percent-encoding: "${encoded}".`);
  }
  if (workflowId.length === 0) throw badRequest('The address names no run: use /runs/<workflowId>.');
  return workflowId;
}

function reportDayOf(day: string): string {
  if (!DAY_PATTERN.test(day) || Number.isNaN(new Date(`${day}T00:00:00Z`).getTime())) {
    throw badRequest(`A report is addressed by its UTC day: use /reports/YYYY-MM-DD (got "${day}").`);
  }
  return day;
}

/** Serves the dashboard on 127.0.0.1 until closed. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { ledger, liveRuns, temporalUi } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const context: PageContext = { temporalUi };
  const files = assets();
  let port = options.port;

  async function runsRoute(url: URL, response: ServerResponse): Promise<void> {
    const query = parseRunListQuery(url.searchParams);
    // One row more than shown tells whether an older page exists without counting the whole ledger.
    const rows = await ledger.listRuns({
      ticker: query.ticker,
      mode: query.mode,
      decision: query.decision,
      budgetStatus: query.budgetStatus,
      since: query.since,
      limit: query.limit + 1,
      offset: query.offset,
    });
    const runs = rows.slice(0, query.limit);
    if (url.pathname === '/api/runs') {
      sendJson(response, 200, { runs, hasMore: rows.length > query.limit });
      return;
    }
    sendHtml(response, 200, runsPage({ query, runs, hasMore: rows.length > query.limit }, context));
  }

  async function runRoute(url: URL, response: ServerResponse): Promise<void> {
    requireNoParameters(url.searchParams, 'a run page');
    const workflowId = decodeWorkflowId(url.pathname.slice('/runs/'.length));
    // A run's records come with their attempts.
    const [summary, records] = await Promise.all([
      ledger.getRun(workflowId),
      ledger.listUsage({ workflowId }),
    ]);
    if (!summary && records.length === 0) {
      throw notFound(
        `The ledger has no run "${workflowId}" (a run that has only just started has no call recorded yet); the runs page lists the recorded ones.`,
      );
    }
    const data = { workflowId, breakdown: runBreakdown(records), ...(summary ? { summary } : {}) };
    sendHtml(response, 200, runPage(data, context));
  }

  async function trendsRoute(url: URL, response: ServerResponse): Promise<void> {
    const { days } = parseTrendsQuery(url.searchParams);
    const window = trendWindow(now(), days);
    const [rows, calibrations, active, alerts, reports] = await Promise.all([
      ledger.dailyRunTotals({ since: window.since, until: window.until }),
      ledger.listCalibrations(20),
      ledger.activeCalibration(),
      ledger.listAlerts({ limit: ALERTS_SHOWN }),
      ledger.listReports(REPORTS_SHOWN),
    ]);
    const page = trendsPage(
      {
        days,
        series: dailySeries(rows, window.days),
        comparison: baselineComparison(rows.filter((row) => window.days.includes(row.day))),
        calibrations,
        alerts,
        reports,
        ...(active ? { activeCalibration: active.version } : {}),
      },
      context,
    );
    sendHtml(response, 200, page);
  }

  async function reportRoute(url: URL, response: ServerResponse): Promise<void> {
    requireNoParameters(url.searchParams, 'a report page');
    const day = reportDayOf(url.pathname.slice('/reports/'.length));
    const report = await ledger.getReport(day);
    if (!report) {
      throw notFound(
        `The ledger has no report of ${day}: the report Schedule stores one after the day ends; the trends page lists the stored ones.`,
      );
    }
    send(response, 200, 'text/html; charset=utf-8', report.html, 'no-store', REPORT_SECURITY_HEADERS);
  }

  async function backtestsRoute(url: URL, response: ServerResponse): Promise<void> {
    requireNoParameters(url.searchParams, 'the backtests page');
    const directory = options.reportsDirectory;
    const listings = directory === undefined ? undefined : await listBacktestReports(directory);
    sendHtml(response, 200, backtestsPage(listings === undefined ? {} : { listings }, context));
  }

  async function backtestRoute(url: URL, response: ServerResponse): Promise<void> {
    requireNoParameters(url.searchParams, 'a backtest page');
    const id = backtestIdOf(url.pathname.slice('/backtests/'.length));
    const directory = options.reportsDirectory;
    const listing = directory === undefined ? undefined : await readBacktestReport(directory, id);
    if (!listing) {
      throw notFound(
        `There is no backtest report ${id}.json in the reports folder; the backtests page lists the ones there.`,
      );
    }
    sendHtml(response, 200, backtestPage(listing, context));
  }

  async function liveRoute(url: URL, response: ServerResponse): Promise<void> {
    requireNoParameters(url.searchParams, '/api/live');
    let runs: LiveRun[];
    try {
      runs = await liveRuns.listRunning();
    } catch (error) {
      // Temporal being down is a state the page shows, not a dashboard failure.
      sendJson(response, 503, { error: `Temporal cannot be asked: ${(error as Error).message}` });
      return;
    }
    const body: LiveRunsResponse = {
      runs: runs.map((run) => liveRunView(run, temporalUi)),
      checkedAt: now().toISOString(),
    };
    sendJson(response, 200, body);
  }

  async function assetRoute(asset: Asset, response: ServerResponse): Promise<void> {
    const body = await readFile(asset.file);
    send(response, 200, asset.contentType, body, 'public, max-age=300');
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    checkHost(request, port);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      throw new DashboardHttpError(
        405,
        `The dashboard only reads: ${request.method ?? 'this method'} is not allowed.`,
      );
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`);
    const asset = files.get(url.pathname);
    if (asset) return assetRoute(asset, response);
    if (url.pathname === '/' || url.pathname === '/api/runs') return runsRoute(url, response);
    if (url.pathname.startsWith('/runs/')) return runRoute(url, response);
    if (url.pathname === '/trends') return trendsRoute(url, response);
    if (url.pathname.startsWith('/reports/')) return reportRoute(url, response);
    if (url.pathname === '/backtests') return backtestsRoute(url, response);
    if (url.pathname.startsWith('/backtests/')) return backtestRoute(url, response);
    if (url.pathname === '/api/live') return liveRoute(url, response);
    throw notFound(
      `No page at ${url.pathname}; the dashboard has /, /trends, /backtests, /runs/<workflowId>, /backtests/<id> and /reports/<day>.`,
    );
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const wantsJson = (request.url ?? '').startsWith('/api/');
      let status = 500;
      let message = 'The dashboard failed to answer; its terminal shows why.';
      if (error instanceof DashboardHttpError) {
        status = error.status;
        message = error.message;
      } else {
        // Store and driver errors stay in the terminal: they may name hosts or files the page should not show.
        log(`dashboard: ${request.method} ${request.url}: ${(error as Error).stack ?? String(error)}`);
      }
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (wantsJson) sendJson(response, status, { error: message });
      else sendHtml(response, status, errorPage(status, message, context));
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${options.port} on ${HOST} is in use; pass --port N or set dashboard.port in the config.`,
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port, HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A page's keep-alive connection would hold close() open until it times out.
        server.closeAllConnections();
      }),
  };
}
