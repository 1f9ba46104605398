import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ALERT_RULE, type AlertThresholds } from '../core/alerts';
import type { DailyReport, RunSummary, UsageStore } from '../storage/usage-store';
import { makeRecord } from '../storage/test-fixtures';
import { ledgerEngines, openTestStore } from '../storage/test-ledgers';
import { buildDailyReport, collectDailyReport, type RenderedDailyReport } from './build-daily-report';
import { CHART_LIBRARY_TAG } from './inline-chart-library';
import { REPORT_INLINE_SOURCES } from './report-page-assets';

const DAY = '2026-05-04';
const HOSTILE = '<img src=x onerror=alert(1)>|x';
const THRESHOLDS: AlertThresholds = {
  budgetUsedFraction: 0.9,
  agentAllocationFraction: 1,
  dailyCostUsd: 0.001,
  complianceTarget: 0.95,
  predictionErrorFraction: 10,
  minimumCalls: 1,
};
const OPTIONS = {
  thresholds: THRESHOLDS,
  generatedAt: '2026-05-05T00:15:00.000Z',
  temporalUiUrl: 'http://localhost:8233',
  namespace: 'default',
};

function run(overrides: Partial<RunSummary> & Pick<RunSummary, 'workflowId'>): RunSummary {
  return {
    ticker: 'AAPL',
    date: '2008-06-02',
    mode: 'optimized',
    decision: 'BUY',
    totalTokens: 2400,
    budgetTokens: 40_000,
    costUsd: 0.0006,
    budgetStatus: 'within',
    startedAt: `${DAY}T09:00:00.000Z`,
    finishedAt: `${DAY}T09:05:00.000Z`,
    ...overrides,
  };
}

async function seed(store: UsageStore): Promise<void> {
  const at = `${DAY}T09:01:00.000Z`;
  // Optimized run: two calls of 1,200 tokens; baseline run: two calls of 3,200 tokens on another model.
  await store.recordUsage(makeRecord({ workflowId: 'opt-1', agent: 'market_analyst', recordedAt: at }));
  await store.recordUsage(
    makeRecord({
      workflowId: 'opt-1',
      agent: 'trader',
      rawCompliant: false,
      finishReason: 'repetition',
      recordedAt: at,
    }),
  );
  for (const agent of ['market_analyst', 'trader'] as const) {
    await store.recordUsage(
      makeRecord({
        workflowId: 'base-1',
        agent,
        mode: 'baseline',
        model: 'gpt-4o',
        promptTokens: 3000,
        costUsd: 0.002,
        recordedAt: at,
      }),
    );
  }
  await store.recordUsage(
    makeRecord({ workflowId: HOSTILE, ticker: HOSTILE, agent: 'news_analyst', recordedAt: at }),
  );
  // Another day's call is not in this day's report.
  await store.recordUsage(makeRecord({ workflowId: 'old-1', recordedAt: '2026-05-03T23:59:59.000Z' }));

  await store.recordRun(
    run({
      workflowId: 'opt-1',
      totalTokens: 2400,
      budgetTokens: 2500,
      promptTokens: 2000,
      originalPromptTokens: 4000,
    }),
  );
  await store.recordRun(run({ workflowId: 'base-1', mode: 'baseline', totalTokens: 6400, decision: 'SELL' }));
  await store.recordRun(
    run({
      workflowId: HOSTILE,
      ticker: HOSTILE,
      totalTokens: 1200,
      decision: undefined,
      budgetStatus: 'exhausted',
    }),
  );
  await store.recordRun(
    run({ workflowId: 'old-1', finishedAt: '2026-05-03T23:59:59.000Z', totalTokens: 99_999 }),
  );

  await store.recordAlerts(
    [
      {
        key: `${ALERT_RULE.RunBudgetUsed}:opt-1`,
        rule: ALERT_RULE.RunBudgetUsed,
        day: DAY,
        workflowId: 'opt-1',
        message: 'Run opt-1 used 2400 of its 2500 tokens (as recorded).',
        value: 0.96,
        threshold: 0.9,
      },
      {
        key: `${ALERT_RULE.AgentOverAllocation}:opt-1:trader`,
        rule: ALERT_RULE.AgentOverAllocation,
        day: DAY,
        workflowId: 'opt-1',
        agent: 'trader',
        message: 'trader spent 1200 tokens in run opt-1, over its allocation of 1000.',
        value: 1200,
        threshold: 1000,
      },
    ],
    `${DAY}T09:05:01.000Z`,
  );
  await store.markAlertDelivered(`${ALERT_RULE.RunBudgetUsed}:opt-1`, `${DAY}T09:05:02.000Z`);
}

/** The text of each inline `<script>` element (those without `src` or `type`). */
function inlineScripts(page: string): string[] {
  return [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
}

function sha256Source(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

for (const { engine, skip } of ledgerEngines()) {
  describe(`daily report (${engine})`, { skip }, () => {
    let store: UsageStore;
    let usage: DailyReport;
    let report: RenderedDailyReport;

    before(async () => {
      store = await openTestStore(engine);
      await seed(store);
      usage = await store.dailyReport(DAY);
      report = await buildDailyReport(store, DAY, OPTIONS);
    });

    after(async () => {
      await store?.close();
    });

    test('totals are the ledger’s figures for the day', () => {
      assert.deepEqual(report.totals, {
        runs: usage.runs,
        finishedRuns: usage.finishedRuns,
        calls: usage.calls,
        totalTokens: usage.totalTokens,
        costUsd: usage.costUsd,
        alerts: 5,
      });
      assert.equal(report.totals.calls, 5);
      assert.equal(report.totals.totalTokens, 3 * 1200 + 2 * 3200);
      assert.equal(report.totals.finishedRuns, 3);
    });

    test('the markdown holds the totals, modes, models, agents, reduction, compliance, prediction and runs', () => {
      const markdown = report.markdown;
      assert.match(markdown, /^# tokenflow daily report 2026-05-04$/m);
      assert.match(markdown, /^\| Total tokens \| 10,000 \|$/m);
      assert.match(markdown, /^\| Cost \| \$0\.004900 \|$/m);
      assert.match(markdown, /^\| baseline \| 1 \| 2 \| 6,400 \| 6,400 \| \$0\.004000 \|$/m);
      assert.match(markdown, /^\| optimized \| 2 \| 3 \| 3,600 \| 1,800 \| \$0\.000900 \|$/m);
      assert.match(markdown, /^\| gpt-4o \| 1 \| 2 \| 6,400 \| 6,400 \| \$0\.004000 \|$/m);
      // Tokens per optimized run 1,800 against 6,400 per baseline run.
      assert.match(markdown, /^\| Tokens per optimized run against tokens per baseline run \| 71\.9% \|$/m);
      assert.match(markdown, /^\| Prompt tokens sent against the unoptimized prompts \| 50\.0% \|$/m);
      assert.match(
        markdown,
        /^Raw compliance 80\.0% \(target 95\.0%\); answers cut by the limiter 0\.0%\.$/m,
      );
      assert.match(
        markdown,
        /^\| Market Analyst \| 2 \| 4,000 \| 5\.0% \| 400 \| 0 \| 4,400 \| \$0\.002300 \| 0 \|$/m,
      );
      // Every fixture call reports 100 cached prompt tokens: 500 of the day's 9,000.
      assert.match(markdown, /^\| Cached share of prompt tokens \| 5\.6% \|$/m);
      assert.match(markdown, /^\| Market Analyst \| 2 \| 210 \| 200 \| 5\.0% \|$/m, 'prediction error');
      assert.match(markdown, /^\| stopped looping \(repetition\) \| 1 \|$/m);
      // Most expensive first, with a link into the Temporal UI; another day's run is not there.
      const runRows = markdown.split('\n').filter((line) => /^\| (base-1|opt-1|<img)/.test(line));
      assert.deepEqual(
        runRows.map((line) => line.split(' | ')[0]),
        ['| base-1', '| opt-1', '| <img src=x onerror=alert(1)>\\|x'],
      );
      assert.ok(markdown.includes('[open](<http://localhost:8233/namespaces/default/workflows/base-1>)'));
      assert.ok(!markdown.includes('old-1'));
    });

    test('alerts: recorded and evaluated merged by key, each with its status', () => {
      const rows =
        report.markdown
          .split('## Alerts')[1]
          ?.split('\n')
          .filter((line) => line.startsWith('| ')) ?? [];
      assert.deepEqual(
        rows.slice(2).map((line) => line.split(' | ').slice(0, 2).join(' | ')),
        [
          '| delivered | run_budget_used',
          '| recorded, not delivered | agent_over_allocation',
          '| not recorded | run_exhausted',
          '| not recorded | daily_cost',
          '| not recorded | compliance_under_target',
        ],
      );
      assert.match(report.markdown, /Run opt-1 used 2400 of its 2500 tokens \(as recorded\)\./);
    });

    test('the summary is one plain paragraph with the day’s figures', () => {
      assert.equal(
        report.summary,
        'tokenflow daily report 2026-05-04: 3 runs (3 finished), 5 calls, 10,000 tokens, $0.004900. ' +
          'Optimized runs spent 71.9% fewer tokens per run than baseline runs. ' +
          '5.6% of prompt tokens were served from the prompt cache. ' +
          'Raw word-limit compliance 80.0% (target 95.0%). 5 alerts.',
      );
    });

    test('the HTML escapes ledger text, loads Chart.js from the dashboard and allows its inline code by hash', () => {
      const page = report.html;
      assert.ok(!page.includes('<img src=x'), 'no ledger text becomes markup');
      assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;|x'));
      assert.ok(
        page.includes(`${OPTIONS.temporalUiUrl}/namespaces/default/workflows/${encodeURIComponent(HOSTILE)}`),
      );
      assert.equal(page.split(CHART_LIBRARY_TAG).length, 2, 'Chart.js loaded once, by the exact element');
      assert.deepEqual(inlineScripts(page).map(sha256Source), [REPORT_INLINE_SOURCES.script]);
      const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
      assert.equal(sha256Source(style), REPORT_INLINE_SOURCES.style);
      assert.match(page, /<td>Total tokens<\/td>\s*<td class="number">10,000<\/td>/);
      assert.match(page, /<p class="summary" id="summary">tokenflow daily report 2026-05-04: 3 runs/);
      for (const id of ['chart-modes', 'chart-models', 'chart-agents']) {
        assert.ok(page.includes(`data-chart="${id}"`) && page.includes(`id="${id}"`), id);
      }
      assert.match(page, /"labels":\["baseline","optimized"\]/);
    });

    test('the same ledger and time give the same report', async () => {
      const again = await buildDailyReport(store, DAY, OPTIONS);
      assert.equal(again.markdown, report.markdown);
      assert.equal(again.html, report.html);
      assert.equal(again.summary, report.summary);
    });

    test('a day without calls says so instead of showing empty tables', async () => {
      const data = await collectDailyReport(store, '2026-01-01', {
        thresholds: THRESHOLDS,
        generatedAt: OPTIONS.generatedAt,
      });
      assert.equal(data.alerts.length, 0);
      const empty = await buildDailyReport(store, '2026-01-01', {
        thresholds: THRESHOLDS,
        generatedAt: OPTIONS.generatedAt,
      });
      assert.match(empty.summary, /0 runs \(0 finished\), 0 calls, 0 tokens, \$0\.00\. No alerts\.$/);
      assert.match(empty.markdown, /^No run finished this day\.$/m);
      assert.ok(!empty.html.includes('data-chart='), 'no chart without figures');
    });
  });
}
