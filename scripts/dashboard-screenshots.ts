// Saves the README's screenshots of the dashboard: the runs page (with a run in progress), a run's page, the
// trends page (with the alerts the runs raised) and a stored daily report, over a ledger of real runs made on a Temporal dev server with the test suite's fake OpenAI server.
//
//   npx tsx scripts/dashboard-screenshots.ts [output folder, default docs/screenshots]
//
// Needs what `npm test` needs (the Temporal CLI in tools/bin, /usr/bin/chromium: scripts/install-chromium.sh).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/chromium';
import { buildRunSettings } from '../src/config/run-settings';
import { temporalLiveRuns } from '../src/dashboard/live-runs';
import { startDashboardServer } from '../src/dashboard/server';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import type { dailyReportWorkflow } from '../src/workflows/daily-report-workflow';
import {
  createWorkers,
  runAnalysis,
  startHarness,
  testConfig,
  testRequest,
} from '../test/support/workflow-harness';

const WAIT_MS = 60_000;

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether Chart.js has drawn every chart of the page (checked from here: the page's CSP forbids eval). */
async function chartsDrawn(page: Page): Promise<boolean> {
  const drawn = await page.evaluate(
    `typeof Chart === 'function' && [...document.querySelectorAll('canvas[data-chart]')].every((canvas) => Chart.getChart(canvas))`,
  );
  return drawn === true;
}

async function run(): Promise<void> {
  const output = path.resolve(process.argv[2] ?? path.join('docs', 'screenshots'));
  mkdirSync(output, { recursive: true });
  const harness = await startHarness();
  try {
    // A few finished runs: optimized and baseline on the same inputs (the reduction), other tickers, a tight cap.
    const finished = [
      { workflowId: 'analysis-SPX-2020-04-17-baseline', request: { mode: 'baseline' as const } },
      { workflowId: 'analysis-AAPL-2008-06-02-1f0c2a9e', request: { ticker: 'AAPL', date: '2008-06-02' } },
      {
        workflowId: 'analysis-MSFT-2009-03-02-7b41d0c3',
        request: { ticker: 'MSFT', date: '2009-03-02' },
        runOverrides: { budget: 12000 },
      },
      { workflowId: 'analysis-SPX-2020-04-17-5e2d9f10', request: {} },
    ];
    // Thresholds these runs cross, so the trends page shows real alerts (recorded; no webhook is set).
    const alerting = () => testConfig(harness, { alerts: { budgetUsedFraction: 0.6, dailyCostUsd: 0.01 } });
    for (const options of finished) {
      const outcome = await runAnalysis(harness, { config: alerting(), ...options });
      if (!outcome.ok) throw outcome.error;
      process.stdout.write(`made ${options.workflowId}\n`);
    }
    const today = new Date().toISOString().slice(0, 10);
    const reportConfig = alerting();
    const reportWorkers = await createWorkers(harness, reportConfig);
    const report = await harness.env.client.workflow.start<typeof dailyReportWorkflow>(
      'dailyReportWorkflow',
      {
        taskQueue: reportConfig.temporal.taskQueue,
        workflowId: `daily-report-${today}`,
        args: [{ day: today }],
      },
    );
    await reportWorkers.runUntil(report.result());
    process.stdout.write(`made the daily report of ${today}\n`);

    const dashboard = await startDashboardServer({
      ledger: harness.store,
      liveRuns: temporalLiveRuns({ client: async () => harness.env.client }),
      temporalUi: { url: 'http://localhost:8233', namespace: 'default' },
      port: 0,
    });
    // One run in progress, slowed down so the runs page catches it mid-way.
    harness.server.setBehaviour({ chunkDelayMs: 30 });
    const config = testConfig(harness);
    const workers = await createWorkers(harness, config);
    const running = await harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: 'analysis-GOOG-2010-02-01-c93e6b27',
      args: [
        { request: testRequest({ ticker: 'GOOG', date: '2010-02-01' }), settings: buildRunSettings(config) },
      ],
    });
    const browser = await launchChromium(WAIT_MS);
    try {
      await workers.runUntil(async () => {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        page.setDefaultTimeout(WAIT_MS);
        await page.goto(`${dashboard.url}/`);
        const row = page.locator(`#live-runs tr[data-workflow-id="${running.workflowId}"]`);
        await until(
          async () => Number((await row.getAttribute('data-completed-calls')) ?? 0) >= 5,
          'progress',
        );
        await page.screenshot({ path: path.join(output, 'dashboard-runs.png'), fullPage: true });
        await running.terminate('screenshots taken');
      });
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      page.setDefaultTimeout(WAIT_MS);
      await page.goto(`${dashboard.url}/runs/analysis-SPX-2020-04-17-5e2d9f10`);
      await until(() => chartsDrawn(page), 'the run page’s charts');
      await page.screenshot({ path: path.join(output, 'dashboard-run.png'), fullPage: true });
      await page.goto(`${dashboard.url}/trends?days=7`);
      await until(() => chartsDrawn(page), 'the trends page’s charts');
      await page.screenshot({ path: path.join(output, 'dashboard-trends.png'), fullPage: true });
      await page.goto(`${dashboard.url}/reports/${today}`);
      await until(() => chartsDrawn(page), 'the daily report’s charts');
      await page.screenshot({ path: path.join(output, 'daily-report.png'), fullPage: true });
    } finally {
      await browser.close();
      await dashboard.close();
    }
    process.stdout.write(`screenshots in ${output}\n`);
  } finally {
    await harness.close();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
