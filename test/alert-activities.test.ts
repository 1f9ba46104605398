// The alert activities without Temporal: the rules over a real ledger, and the webhook's answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createAlertActivities } from '../src/activities/alert-activities';
import type { AlertThresholds } from '../src/core/alerts';
import { postToWebhook, webhookLabel } from '../src/monitoring/webhook';
import { openUsageStore, type UsageStore } from '../src/storage/usage-store';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

const thresholds: AlertThresholds = {
  budgetUsedFraction: 0.5,
  agentAllocationFraction: 1,
  dailyCostUsd: 100,
  complianceTarget: 0.9,
  predictionErrorFraction: 0.5,
  minimumCalls: 10,
};
const now = () => new Date('2026-12-01T12:00:00.000Z');

let receiver: WebhookReceiver;
let store: UsageStore;

before(async () => {
  receiver = await startWebhookReceiver();
  store = await openUsageStore(':memory:');
});

after(async () => {
  await store?.close();
  await receiver?.close();
});

/** The failure an activity threw, for its type and retry flag. */
async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, String(error));
    return error;
  }
  assert.fail('expected a failure');
}

describe('alert activities', () => {
  test('a finished run raises its alerts once; each is delivered once; without a webhook they stay recorded', async () => {
    const activities = createAlertActivities({ store, thresholds, webhookUrl: receiver.url, now });
    const facts = {
      workflowId: 'w1',
      budgetStatus: 'exhausted',
      totalTokens: 30_000,
      budgetTokens: 40_000,
      lines: [
        { agent: 'trader', allocation: 1000, spent: 1500 },
        // Shared lines are not agents: not judged.
        { agent: 'buffer_overhead', allocation: 100, spent: 500 },
      ],
    };
    const keys = await activities.raiseRunAlerts(facts);
    assert.deepEqual(keys, ['run_budget_used:w1', 'run_exhausted:w1', 'agent_over_allocation:w1:trader']);
    assert.deepEqual(await activities.raiseRunAlerts(facts), [], 'a retried raise records nothing new');
    assert.equal(await activities.deliverAlert('run_exhausted:w1'), 'delivered');
    assert.equal(await activities.deliverAlert('run_exhausted:w1'), 'already delivered');
    assert.equal(receiver.received.length, 1);

    const silent = createAlertActivities({ store, thresholds, now });
    assert.equal(await silent.deliverAlert('run_budget_used:w1'), 'no webhook');
    assert.equal((await store.getAlert('run_budget_used:w1'))?.deliveredAt, undefined);
    // The day's sweep finds the alerts not delivered yet (oldest first).
    assert.deepEqual(await activities.raiseDayAlerts({ day: '2026-12-01' }), [
      'run_budget_used:w1',
      'agent_over_allocation:w1:trader',
    ]);
    // The day's spend, summed by the ledger, is checked as a run ends.
    await store.recordUsage({
      callId: 'w2/trader/1',
      workflowId: 'w2',
      runId: 'r2',
      ticker: 'SPX',
      agent: 'trader',
      round: 1,
      mode: 'optimized',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTokens: 10,
      completionTokens: 10,
      lostTokens: 0,
      usageSource: 'server',
      rawWords: 5,
      words: 5,
      truncated: false,
      maxTokens: 20,
      costUsd: 150,
      latencyMs: 1,
      attempts: 1,
      recordedAt: '2026-12-01T11:00:00.000Z',
    });
    assert.deepEqual(
      await activities.raiseRunAlerts({
        workflowId: 'w2',
        budgetStatus: 'within',
        totalTokens: 20,
        budgetTokens: 40_000,
      }),
      ['daily_cost:2026-12-01'],
    );
    const missing = await failureOf(activities.deliverAlert('nope'));
    assert.equal(missing.type, 'AlertNotFound');
    assert.equal(missing.nonRetryable, true);
  });

  test("the webhook's answers: 5xx and 429 retry, other 4xx do not, and no message names the URL's path", async () => {
    const activities = createAlertActivities({ store, thresholds, webhookUrl: receiver.url, now });
    receiver.failNext(1, 503);
    const unavailable = await failureOf(activities.deliverAlert('run_budget_used:w1'));
    assert.equal(unavailable.type, 'WebhookUnavailable');
    assert.equal(unavailable.nonRetryable, false);
    receiver.failNext(1, 429);
    assert.equal((await failureOf(activities.deliverAlert('run_budget_used:w1'))).type, 'WebhookUnavailable');
    receiver.failNext(1, 404);
    const rejected = await failureOf(activities.deliverAlert('run_budget_used:w1'));
    assert.equal(rejected.type, 'WebhookRejected');
    assert.equal(rejected.nonRetryable, true);
    for (const failure of [unavailable, rejected]) {
      assert.ok(!failure.message.includes(receiver.secret), failure.message);
      assert.ok(failure.message.includes(new URL(receiver.url).origin), failure.message);
    }
    assert.equal((await store.getAlert('run_budget_used:w1'))?.deliveredAt, undefined);
    assert.equal(await activities.deliverAlert('run_budget_used:w1'), 'delivered');
  });

  test('an unreachable webhook is unavailable, named by its origin only', async () => {
    const closed = await startWebhookReceiver();
    await closed.close();
    await assert.rejects(
      () => postToWebhook(closed.url, { text: 'x', blocks: [] }),
      (error: Error) =>
        /could not be reached: the connection failed/.test(error.message) &&
        !error.message.includes(closed.secret),
    );
    assert.equal(
      webhookLabel('https://hooks.slack.com/services/T1/B2/xyz'),
      'https://hooks.slack.com/[path hidden]',
    );
    assert.equal(webhookLabel('not a url'), '[the alert webhook]');
  });
});
