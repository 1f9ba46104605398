// Alerts and the daily report delivered to a webhook: a real Temporal dev server, real workers and a local HTTP
// receiver in place of Slack.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { AGENT_NAMES } from '../src/core/agents';
import { ALERT_RULE } from '../src/core/alerts';
import type { AppConfig } from '../src/config/schema';
import { ensureReportSchedule, REPORT_SCHEDULE_ID } from '../src/cli/report-schedule';
import type { dailyReportWorkflow, DailyReportResult } from '../src/workflows/daily-report-workflow';
import { previousUtcDay } from '../src/workflows/daily-report-workflow';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import {
  createWorkers,
  runAnalysis,
  startHarness,
  testConfig,
  type Harness,
} from './support/workflow-harness';

let harness: Harness;
let receiver: WebhookReceiver;
const historiesChecked: string[] = [];

before(async () => {
  harness = await startHarness();
  receiver = await startWebhookReceiver();
});

after(async () => {
  await receiver?.close();
  await harness?.close();
});

/** Alert rules that a short scripted run breaks (any spend over 1% of the cap, any cost over $0). */
function alertingConfig(overrides: Record<string, unknown> = {}): AppConfig {
  return testConfig(harness, {
    alerts: {
      webhookUrl: receiver.url,
      budgetUsedFraction: 0.01,
      dailyCostUsd: 0,
      // Rates need more calls than these tests make, so only the rules above fire.
      minimumCalls: 1000,
    },
    ...overrides,
  });
}

interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text: { type: string; text: string } }>;
}

/** How often the receiver took a message for each alert key (the key closes an alert's text in brackets). */
function deliveriesByKey(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const post of receiver.received) {
    const key = /\[([^\]]+)\]$/.exec((post.body as SlackBody).text)?.[1];
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const today = () => new Date().toISOString().slice(0, 10);

async function runReport(config: AppConfig, workflowId: string, day?: string): Promise<DailyReportResult> {
  const workers = await createWorkers(harness, config);
  const handle = await harness.env.client.workflow.start<typeof dailyReportWorkflow>('dailyReportWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [day === undefined ? {} : { day }],
  });
  historiesChecked.push(workflowId);
  return workers.runUntil(handle.result());
}

describe('alerts delivered to a webhook', { timeout: 300_000 }, () => {
  test('a run raises its alerts as it ends: each reaches the webhook once, as Slack-compatible JSON, and a repeated breach is not sent again', async () => {
    const first = await runAnalysis(harness, { config: alertingConfig(), workflowId: 'alerts-run-1' });
    assert.ok(first.ok, String(!first.ok && first.error));
    historiesChecked.push('alerts-run-1');
    const day = today();
    const runKey = `${ALERT_RULE.RunBudgetUsed}:alerts-run-1`;
    const dayKey = `${ALERT_RULE.DailyCost}:${day}`;
    assert.deepEqual(
      [...deliveriesByKey().entries()].sort(),
      [
        [dayKey, 1],
        [runKey, 1],
      ].sort(),
    );
    for (const post of receiver.received) {
      assert.equal(post.contentType, 'application/json');
      const body = post.body as SlackBody;
      assert.equal(typeof body.text, 'string');
      assert.deepEqual(body.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: body.text } }]);
    }
    const runAlert = await harness.store.getAlert(runKey);
    assert.ok(runAlert?.deliveredAt, 'the delivered alert is stamped in the ledger');
    assert.equal(runAlert.workflowId, 'alerts-run-1');
    assert.match(runAlert.message, /used \d+ of its 40000 tokens/);

    const second = await runAnalysis(harness, { config: alertingConfig(), workflowId: 'alerts-run-2' });
    assert.ok(second.ok);
    historiesChecked.push('alerts-run-2');
    const counts = deliveriesByKey();
    assert.equal(
      counts.get(`${ALERT_RULE.RunBudgetUsed}:alerts-run-2`),
      1,
      'the second run has its own alert',
    );
    assert.equal(counts.get(dayKey), 1, "the day's spend alert is not sent twice");
    assert.equal(receiver.received.length, 3);
  });

  test('a webhook answering 503 twice still gets the alert once: Temporal retries the delivery', async () => {
    const before = receiver.received.length;
    receiver.failNext(2, 503);
    const refusedBefore = receiver.refused;
    const run = await runAnalysis(harness, { config: alertingConfig(), workflowId: 'alerts-run-3' });
    assert.ok(run.ok);
    historiesChecked.push('alerts-run-3');
    assert.equal(receiver.refused - refusedBefore, 2);
    assert.equal(receiver.received.length, before + 1);
    assert.equal(deliveriesByKey().get(`${ALERT_RULE.RunBudgetUsed}:alerts-run-3`), 1);
    assert.deepEqual(run.result.degradations, []);
  });

  test('a webhook that refuses leaves the alerts recorded (the run stops trying after the first); the daily report delivers them, sends its summary once, and no history holds the URL', async () => {
    receiver.failNext(100, 404);
    const refusedBefore = receiver.refused;
    // Every agent over 1% of its allocation too: the run raises 13 alerts.
    const config = alertingConfig({
      alerts: {
        webhookUrl: receiver.url,
        budgetUsedFraction: 0.01,
        dailyCostUsd: 0,
        minimumCalls: 1000,
        agentAllocationFraction: 0.01,
      },
    });
    const run = await runAnalysis(harness, { config, workflowId: 'alerts-run-4' });
    assert.ok(run.ok);
    historiesChecked.push('alerts-run-4');
    assert.equal(
      receiver.refused - refusedBefore,
      1,
      'a refused post is not retried, and the other alerts are not tried against a failing webhook',
    );
    receiver.failNext(0, 200);
    const key = `${ALERT_RULE.RunBudgetUsed}:alerts-run-4`;
    const keys = [
      key,
      ...AGENT_NAMES.map((agent) => `${ALERT_RULE.AgentOverAllocation}:alerts-run-4:${agent}`),
    ];
    for (const each of keys) assert.equal((await harness.store.getAlert(each))?.deliveredAt, undefined, each);
    const degradation = run.result.degradations.find((line) => line.includes('alerts not delivered'));
    assert.ok(degradation, run.result.degradations.join('; '));
    for (const each of keys) assert.ok(degradation.includes(each), each);

    const before = receiver.received.length;
    const report = await runReport(alertingConfig(), 'daily-report-1', today());
    assert.deepEqual(report.alertDeliveries, Object.fromEntries(keys.map((each) => [each, 'delivered'])));
    assert.equal(report.summaryDelivery, 'delivered');
    assert.equal(report.day, today());
    assert.ok(report.runs >= 4, `runs ${report.runs}`);
    const posted = receiver.received.slice(before).map((post) => (post.body as SlackBody).text);
    assert.equal(posted.length, keys.length + 1);
    assert.deepEqual(
      posted
        .slice(0, keys.length)
        .map((text) => /\[([^\]]+)\]$/.exec(text)?.[1])
        .sort(),
      [...keys].sort(),
    );
    assert.equal(posted[keys.length], `:bar_chart: ${report.summary}`);
    const stored = await harness.store.getReport(today());
    assert.ok(stored?.summarySentAt);
    assert.equal(stored.summary, report.summary);
    assert.match(stored.markdown, /alerts-run-4/);
    assert.match(stored.html, /<html/i);

    const again = await runReport(alertingConfig(), 'daily-report-2', today());
    assert.deepEqual(again.alertDeliveries, {});
    assert.equal(again.summaryDelivery, 'already delivered');
    assert.equal(receiver.received.length, before + keys.length + 1, 'nothing is sent twice');

    for (const workflowId of historiesChecked) {
      const history = historyToJSON(await harness.env.client.workflow.getHandle(workflowId).fetchHistory());
      assert.ok(history.length > 1000);
      assert.ok(!history.includes(receiver.secret), `${workflowId}'s history holds the webhook's secret`);
      assert.ok(!history.includes('/services/'), `${workflowId}'s history holds the webhook's path`);
    }
  });

  test('the daily report Schedule starts the report workflow for the day before', async () => {
    const config = alertingConfig();
    assert.equal(await ensureReportSchedule(harness.env.client, config), 'created');
    assert.equal(await ensureReportSchedule(harness.env.client, config), 'updated');
    const schedule = harness.env.client.schedule.getHandle(REPORT_SCHEDULE_ID);
    const description = await schedule.describe();
    assert.deepEqual(
      description.spec.calendars?.map((calendar) => [calendar.hour, calendar.minute]),
      [[[{ start: 0, end: 0, step: 1 }], [{ start: 15, end: 15, step: 1 }]]],
    );
    const workers = await createWorkers(harness, config);
    const result = await workers.runUntil(async () => {
      await schedule.trigger();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { info } = await schedule.describe();
        const started = info.recentActions[0]?.action.workflow.workflowId;
        if (started) {
          const handle = harness.env.client.workflow.getHandle(started);
          const report = (await handle.result()) as DailyReportResult;
          if (process.env.TOKENFLOW_RECORD_HISTORY === '1') {
            // The report workflow's commands, replayed by replay.test.ts.
            const file = path.join(__dirname, 'histories', 'daily-report.json');
            writeFileSync(file, `${historyToJSON(await handle.fetchHistory())}\n`);
          }
          return report;
        }
        if (Date.now() > deadline) throw new Error('the Schedule started no workflow within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    const yesterday = previousUtcDay(Date.now());
    assert.equal(result.day, yesterday);
    assert.ok(await harness.store.getReport(yesterday), "the Schedule's report is stored");
    await schedule.delete();
  });

  test('agents over their allocation raise alerts in an optimized run; a baseline run is not held to allocations', async () => {
    // No webhook: alerts are recorded only. Any agent spending over 1% of its allocation breaks the rule.
    const config = () =>
      testConfig(harness, {
        alerts: { agentAllocationFraction: 0.01, dailyCostUsd: 1000, minimumCalls: 1000 },
      });
    const optimized = await runAnalysis(harness, { config: config(), workflowId: 'allocation-optimized' });
    const baseline = await runAnalysis(harness, {
      config: config(),
      workflowId: 'allocation-baseline',
      request: { mode: 'baseline' },
    });
    assert.ok(optimized.ok && baseline.ok);
    const overAllocation = (await harness.store.listAlerts({ limit: 1000 })).filter(
      (alert) => alert.rule === ALERT_RULE.AgentOverAllocation,
    );
    const agentsOf = (workflowId: string) =>
      overAllocation.filter((alert) => alert.workflowId === workflowId).map((alert) => alert.agent);
    assert.equal(agentsOf('allocation-optimized').length, 12, 'every agent of the optimized run');
    assert.deepEqual(agentsOf('allocation-baseline'), []);
    assert.ok(
      overAllocation
        .filter((alert) => alert.workflowId === 'allocation-optimized')
        .every((alert) => alert.deliveredAt === undefined),
      'without a webhook, recorded only',
    );
  });
});
