import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from './support/chromium';
import { failureMessage } from '../src/cli/failure-message';
import { buildRunSettings } from '../src/config/run-settings';
import { formatUsd } from '../src/core/pricing';
import { startDashboardServer, type DashboardServer } from '../src/dashboard/server';
import { temporalLiveRuns } from '../src/dashboard/live-runs';
import { writeSampleBacktestReport } from '../src/dashboard/test-backtest-reports';
import type { RunSummary } from '../src/storage/usage-store';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import {
  createWorkers,
  runAnalysis,
  startHarness,
  testConfig,
  testRequest,
  type Harness,
} from './support/workflow-harness';

/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) over a real ledger: a run made
 * on a real Temporal dev server with the fake OpenAI server, one still running, and seeded summaries.
 */

/** Longest any single wait of the browser may take. */
const WAIT_MS = 30_000;

let harness: Harness;
let dashboard: DashboardServer;
let reportsDirectory: string;

before(async () => {
  harness = await startHarness();
  reportsDirectory = await mkdtemp(path.join(tmpdir(), 'tokenflow-dashboard-reports-'));
  dashboard = await startDashboardServer({
    ledger: harness.store,
    reportsDirectory,
    liveRuns: temporalLiveRuns({ client: async () => harness.env.client }),
    temporalUi: { url: 'http://localhost:8233', namespace: 'default' },
    port: 0,
  });
});

after(async () => {
  await dashboard?.close();
  await harness?.close();
  if (reportsDirectory) await rm(reportsDirectory, { recursive: true, force: true });
});

/** Opens a browser page for `work` and closes the browser whatever happens; the page must log no error. */
async function withPage(work: (page: Page) => Promise<void>): Promise<void> {
  const browser = await launchChromium(WAIT_MS);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await work(page);
    assert.deepEqual(
      errors,
      [],
      'the page logged no error (a script failure, a blocked resource, a CSP violation)',
    );
  } finally {
    await browser.close();
  }
}

/**
 * Polls `condition` from the test rather than in the page: the dashboard's CSP forbids the string evaluation
 * Playwright's in-page polling would need.
 */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits until Chart.js has drawn every chart of the page from the configuration the server embedded. */
async function chartsDrawn(page: Page): Promise<void> {
  await until(
    async () =>
      (await page.evaluate(
        `typeof Chart === 'function' && [...document.querySelectorAll('canvas[data-chart]')].every((canvas) => Chart.getChart(canvas) !== undefined)`,
      )) === true,
    'Chart.js to draw the charts',
    WAIT_MS,
  );
}

/** A count as the page writes it (`12,345`), or undefined for the page's unknown (`—`). */
function readCount(text: string | null): number | undefined {
  const trimmed = (text ?? '').trim();
  if (trimmed === '—') return undefined;
  assert.match(trimmed, /^[\d,]+$/, `a count: "${trimmed}"`);
  return Number(trimmed.replaceAll(',', ''));
}

function summary(workflowId: string, ticker: string, decision: string, startedAt: string): RunSummary {
  return {
    workflowId,
    ticker,
    date: '2010-02-01',
    mode: 'optimized',
    decision,
    totalTokens: 10_000,
    budgetTokens: 40_000,
    costUsd: 0.002,
    budgetStatus: 'within',
    startedAt,
    finishedAt: startedAt,
  };
}

describe('the dashboard in a browser', () => {
  test(
    'a finished run’s page shows the ledger’s figures, call by call and in total',
    { timeout: 300_000 },
    async () => {
      const workflowId = 'dashboard-finished';
      const run = await runAnalysis(harness, { config: testConfig(harness), workflowId });
      assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
      const records = await harness.store.listUsage({ workflowId });
      assert.ok(records.length >= 12, `the run recorded its calls: ${records.length}`);

      await withPage(async (page) => {
        const response = await page.goto(`${dashboard.url}/runs/${encodeURIComponent(workflowId)}`);
        assert.equal(response?.status(), 200);
        assert.equal(await page.locator('tr.call').count(), records.length, 'one row per recorded call');
        for (const record of records) {
          const row = page.locator(`tr.call[data-call-id="${record.callId}"][data-run-id="${record.runId}"]`);
          const field = (name: string) => row.locator(`[data-field="${name}"]`).textContent();
          assert.equal(
            readCount(await field('prompt-tokens')),
            record.promptTokens,
            `${record.callId} prompt`,
          );
          assert.equal(
            readCount(await field('cached-prompt-tokens')),
            record.cachedPromptTokens,
            `${record.callId} cached`,
          );
          assert.equal(
            readCount(await field('completion-tokens')),
            record.completionTokens,
            `${record.callId} completion`,
          );
          assert.equal(readCount(await field('lost-tokens')), record.lostTokens, `${record.callId} lost`);
          assert.equal(
            readCount(await field('total-tokens')),
            record.promptTokens + record.completionTokens + record.lostTokens,
            `${record.callId} total`,
          );
          assert.equal(readCount(await field('max-tokens')), record.maxTokens, `${record.callId} max_tokens`);
          assert.equal(
            readCount(await field('predicted-tokens')),
            record.predictedTokens,
            `${record.callId} predicted`,
          );
          assert.equal(await field('cost'), formatUsd(record.costUsd), `${record.callId} cost`);
          assert.equal(await field('usage-source'), record.usageSource);
          const compliant = record.rawCompliant === undefined ? '—' : record.rawCompliant ? 'yes' : 'no';
          assert.equal(await field('raw-compliant'), compliant, `${record.callId} compliance`);
          assert.equal(
            await page.locator(`tr.attempt[data-call-id="${record.callId}"]`).count(),
            record.attemptRecords?.length ?? 0,
            `${record.callId}: one row per attempt`,
          );
        }
        const ledgerTotal = records.reduce(
          (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
          0,
        );
        const total = (name: string) => page.locator(`[data-total="${name}"]`).textContent();
        assert.equal(readCount(await total('total-tokens')), ledgerTotal);
        assert.equal(ledgerTotal, run.result.totals.totalTokens, 'the ledger holds what the run counted');
        assert.equal(
          readCount(await total('prompt-tokens')),
          records.reduce((sum, record) => sum + record.promptTokens, 0),
        );
        assert.equal(
          readCount(await total('completion-tokens')),
          records.reduce((sum, record) => sum + record.completionTokens, 0),
        );
        assert.equal(
          await total('cost'),
          formatUsd(records.reduce((sum, record) => sum + (record.costUsd ?? 0), 0)),
        );
        assert.match(
          (await page.locator('#reconciliation').textContent()) ?? '',
          /add up to the run summary/,
        );
        assert.equal(
          await page.locator('[data-field="decision"]').textContent(),
          run.result.decision?.action,
        );
        const temporalLink = await page
          .locator('.facts a[href^="http://localhost:8233/"]')
          .getAttribute('href');
        assert.equal(temporalLink, `http://localhost:8233/namespaces/default/workflows/${workflowId}`);
        // Chart.js drew both charts from the configurations the server embedded.
        await chartsDrawn(page);
        assert.equal(await page.locator('canvas[data-chart]').count(), 2);
      });
    },
  );

  test('a running run’s progress moves on the page without a reload', { timeout: 300_000 }, async () => {
    // Slow streams stretch the run over many of the page's polls.
    harness.server.setBehaviour({ chunkDelayMs: 30 });
    try {
      const config = testConfig(harness);
      const workflowId = 'dashboard-running';
      const workers = await createWorkers(harness, config);
      const handle = await harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [
          {
            request: testRequest({ ticker: 'AAPL', date: '2008-06-02' }),
            settings: buildRunSettings(config),
          },
        ],
      });
      await workers.runUntil(async () => {
        await withPage(async (page) => {
          await page.goto(`${dashboard.url}/`);
          const row = page.locator(`#live-runs tr[data-workflow-id="${workflowId}"]`);
          // The first observation is one with figures (the run has answered its progress query).
          await page
            .locator(`#live-runs tr[data-workflow-id="${workflowId}"][data-tokens-spent]`)
            .waitFor({ timeout: 60_000 });
          await page.evaluate('window.notReloaded = true');
          const first = {
            tokens: await row.getAttribute('data-tokens-spent'),
            label: await row.locator('[data-field="tokens"]').textContent(),
          };
          assert.equal(await row.locator('td').nth(1).textContent(), 'AAPL');
          assert.match(first.label ?? '', /^[\d,]+ \/ 40,000 \(\d+\.\d%\)$/);
          await until(
            async () => {
              const tokens = await row.getAttribute('data-tokens-spent', { timeout: WAIT_MS });
              return tokens !== null && tokens !== first.tokens;
            },
            'the run’s tokens to move on the page',
            90_000,
          );
          const second = {
            tokens: await row.getAttribute('data-tokens-spent'),
            label: await row.locator('[data-field="tokens"]').textContent(),
          };
          assert.ok(Number(second.tokens) > Number(first.tokens ?? 0), `${first.tokens} -> ${second.tokens}`);
          assert.notEqual(second.label, first.label, 'the text on the page moved too');
          assert.equal(await page.evaluate('window.notReloaded === true'), true, 'the page was not reloaded');
          // Once the run ends it leaves the live list, still without a reload.
          await handle.result();
          await row.waitFor({ state: 'detached', timeout: 60_000 });
          assert.equal(await page.evaluate('window.notReloaded === true'), true);
        });
      });
    } finally {
      harness.server.setBehaviour({ chunkDelayMs: 0 });
      // A run left behind by a failure would still be running when the dev server stops.
      await harness.env.client.workflow
        .getHandle('dashboard-running')
        .terminate('test over')
        .catch(() => undefined);
    }
  });

  test('a filter narrows the list of runs', { timeout: 120_000 }, async () => {
    const seeded = [
      summary('seed-IBM-1', 'IBM', 'BUY', '2026-01-01T10:00:00.000Z'),
      summary('seed-IBM-2', 'IBM', 'HOLD', '2026-01-02T10:00:00.000Z'),
      summary('seed-IBM-3', 'IBM', 'SELL', '2026-01-03T10:00:00.000Z'),
      summary('seed-GOOG-1', 'GOOG', 'BUY', '2026-01-04T10:00:00.000Z'),
      summary('seed-GOOG-2', 'GOOG', 'SELL', '2026-01-05T10:00:00.000Z'),
    ];
    for (const run of seeded) await harness.store.recordRun(run);

    await withPage(async (page) => {
      await page.goto(`${dashboard.url}/`);
      const rows = page.locator('#runs tbody tr');
      const tickers = async () => rows.locator('[data-field="ticker"]').allTextContents();
      const workflowIds = async () => {
        const ids: Array<string | null> = [];
        for (let index = 0; index < (await rows.count()); index++)
          ids.push(await rows.nth(index).getAttribute('data-workflow-id'));
        return ids;
      };
      const before = await tickers();
      assert.ok(
        before.includes('IBM') && before.includes('GOOG'),
        `both tickers before filtering: ${before.join(', ')}`,
      );

      await page.locator('#run-filter input[name="ticker"]').fill('goog');
      await Promise.all([
        page.waitForURL(/[?&]ticker=goog/, { timeout: WAIT_MS }),
        page.locator('#run-filter button[type="submit"]').click(),
      ]);
      assert.deepEqual(await tickers(), ['GOOG', 'GOOG']);
      assert.deepEqual(await workflowIds(), ['seed-GOOG-2', 'seed-GOOG-1']);
      assert.equal(
        await page.locator('#run-filter input[name="ticker"]').inputValue(),
        'GOOG',
        'the form shows the filter',
      );

      await page.locator('#run-filter select[name="decision"]').selectOption('SELL');
      await Promise.all([
        page.waitForURL(/[?&]decision=SELL/, { timeout: WAIT_MS }),
        page.locator('#run-filter button[type="submit"]').click(),
      ]);
      assert.deepEqual(await workflowIds(), ['seed-GOOG-2']);
    });
  });

  test('a backtest’s page opens from the list and charts its tokens', { timeout: 120_000 }, async () => {
    const id = await writeSampleBacktestReport(reportsDirectory);
    await withPage(async (page) => {
      await page.goto(`${dashboard.url}/`);
      await Promise.all([
        page.waitForURL(/\/backtests$/, { timeout: WAIT_MS }),
        page.locator('nav a[href="/backtests"]').click(),
      ]);
      await Promise.all([
        page.waitForURL(new RegExp(`/backtests/${id}$`), { timeout: WAIT_MS }),
        page.locator(`#backtests tr[data-backtest-id="${id}"] a`).click(),
      ]);
      assert.equal(
        await page.locator('#backtest-modes tr[data-mode="optimized"] [data-field="hit-rate"]').textContent(),
        '66.7% (2 of 3)',
      );
      assert.equal(await page.locator('tr.backtest-entry').count(), 8);
      await chartsDrawn(page);
      const drawn = await page.evaluate(
        `Chart.getChart(document.querySelector('canvas[data-chart="chart-backtest-tokens"]')).data.datasets.map((dataset) => dataset.data.at(-1))`,
      );
      assert.deepEqual(drawn, [422_345, 161_000], 'each mode’s line ends at its total');
    });
  });
});
