import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageRecord } from './types';
import { agentStatisticsOf, cachedShareOf, dailyReportOf, type FinishedRunTotals } from './usage-report';

/** A call with only the required fields; each test adds what it examines. */
function call(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId: 'call',
    workflowId: 'wf-1',
    runId: 'run-1',
    ticker: 'SPX',
    agent: 'trader',
    round: 0,
    mode: 'optimized',
    provider: 'local',
    model: 'smollm2',
    promptTokens: 100,
    completionTokens: 10,
    lostTokens: 0,
    usageSource: 'server',
    rawWords: 8,
    words: 8,
    truncated: false,
    maxTokens: 64,
    latencyMs: 50,
    attempts: 1,
    ...overrides,
  };
}

describe('agentStatisticsOf', () => {
  test('groups by agent in roster order and leaves out agents outside the roster', () => {
    const statistics = agentStatisticsOf([
      call({ agent: 'risk_manager' }),
      call({ agent: 'retired_agent' as UsageRecord['agent'] }),
      call({ agent: 'market_analyst' }),
      call({ agent: 'risk_manager' }),
    ]);
    assert.deepEqual(
      statistics.map((entry) => [entry.agent, entry.calls]),
      [
        ['market_analyst', 1],
        ['risk_manager', 2],
      ],
    );
    assert.deepEqual(agentStatisticsOf([]), []);
  });

  test('rates, prediction figures and costs count only the calls that know them', () => {
    const [statistics] = agentStatisticsOf([
      call({ completionTokens: 40, predictedTokens: 50, rawCompliant: true, costUsd: 0.5 }),
      call({ completionTokens: 20, truncated: true }),
      call({ completionTokens: 30, lostTokens: 7, latencyMs: 110 }),
      call({ completionTokens: 10, costUsd: 0 }),
    ]);
    assert.deepEqual(statistics, {
      agent: 'trader',
      calls: 4,
      meanPromptTokens: 100,
      medianPromptTokens: 100,
      meanCompletionTokens: 25,
      // An even count: the mean of the middle two.
      medianCompletionTokens: 25,
      meanWords: 8,
      rawComplianceRate: 1,
      truncationRate: 0.25,
      predictedCalls: 1,
      meanPredictedTokens: 50,
      meanActualCompletionTokens: 40,
      mape: 0.25,
      totalCostUsd: 0.5,
      // A cost of zero is a known cost.
      callsWithoutCost: 2,
      totalLostTokens: 7,
      meanLatencyMs: 65,
    });
  });
});

describe('cachedShareOf', () => {
  test('divides the cached prompt tokens by the prompt tokens of the calls that reported them', () => {
    assert.equal(
      cachedShareOf([
        { promptTokens: 1000, cachedPromptTokens: 768 },
        { promptTokens: 1000, cachedPromptTokens: 0 },
        // Unknown, not uncached: left out of both sums.
        { promptTokens: 5000 },
      ]),
      0.384,
    );
    assert.equal(cachedShareOf([{ promptTokens: 1000 }]), undefined);
    assert.equal(cachedShareOf([]), undefined);
  });

  test('per agent, only agents whose calls reported a cached count carry one', () => {
    const [trader, manager] = agentStatisticsOf([
      call({ promptTokens: 2000, cachedPromptTokens: 1536 }),
      call({ promptTokens: 2000 }),
      call({ agent: 'risk_manager' }),
    ]);
    assert.equal(trader?.cachedPromptTokens, 1536);
    assert.equal(trader?.cachedShare, 0.768);
    assert.equal(manager?.cachedPromptTokens, undefined);
    assert.equal(manager?.cachedShare, undefined);
  });
});

describe('dailyReportOf', () => {
  test('totals the calls by mode and the finished runs by status and decision', () => {
    const records = [
      call({
        workflowId: 'wf-1',
        promptTokens: 100,
        completionTokens: 10,
        lostTokens: 5,
        cachedPromptTokens: 60,
      }),
      call({ workflowId: 'wf-1', agent: 'risk_manager', costUsd: 0.25, finishReason: 'length' }),
      call({ workflowId: 'wf-2', mode: 'baseline', costUsd: 0.5, rawCompliant: false, finishReason: 'stop' }),
      call({ workflowId: 'wf-3', mode: 'baseline', truncated: true, finishReason: 'length' }),
    ];
    const finished: FinishedRunTotals[] = [
      { budgetStatus: 'within', decision: 'SELL', promptTokens: 150, originalPromptTokens: 200 },
      { budgetStatus: 'within', promptTokens: 900 },
      { budgetStatus: 'degraded', decision: 'SELL', promptTokens: 50, originalPromptTokens: 0 },
    ];
    const { byMode, byModel, budgetStatuses, decisions, finishReasons, perAgent, ...totals } = dailyReportOf(
      '2024-06-03',
      records,
      finished,
    );

    assert.deepEqual(totals, {
      day: '2024-06-03',
      runs: 3,
      finishedRuns: 3,
      calls: 4,
      promptTokens: 400,
      completionTokens: 40,
      cachedPromptTokens: 60,
      // Over the one call that reported a cached count: 60 of its 100 prompt tokens.
      cachedShare: 0.6,
      lostTokens: 5,
      totalTokens: 445,
      costUsd: 0.75,
      callsWithoutCost: 2,
      rawComplianceRate: 0,
      truncationRate: 0.25,
      // Only the first run reported both prompt figures (a zero original is no figure): 1 - 150 / 200.
      promptReduction: 0.25,
      // Per run: optimized 225 tokens, baseline 220 / 2 = 110; this day the optimized run spent more.
      reductionAgainstBaseline: 1 - 225 / 110,
    });
    assert.deepEqual(byMode, {
      optimized: { runs: 1, calls: 2, totalTokens: 225, costUsd: 0.25 },
      baseline: { runs: 2, calls: 2, totalTokens: 220, costUsd: 0.5 },
    });
    assert.deepEqual(byModel, { smollm2: { runs: 3, calls: 4, totalTokens: 445, costUsd: 0.75 } });
    assert.deepEqual(budgetStatuses, { within: 2, degraded: 1 });
    assert.deepEqual(decisions, { SELL: 2, none: 1 });
    assert.deepEqual(finishReasons, { length: 2, stop: 1 });
    assert.deepEqual(
      perAgent.map((entry) => [entry.agent, entry.calls]),
      [
        ['trader', 3],
        ['risk_manager', 1],
      ],
    );
  });

  test('a day without calls or runs has zero totals and no rates', () => {
    // No rate keys at all: a rate over no calls is unknown, not zero.
    assert.deepEqual(dailyReportOf('2024-06-04', [], []), {
      day: '2024-06-04',
      runs: 0,
      finishedRuns: 0,
      calls: 0,
      promptTokens: 0,
      completionTokens: 0,
      cachedPromptTokens: 0,
      lostTokens: 0,
      totalTokens: 0,
      costUsd: 0,
      callsWithoutCost: 0,
      byMode: {},
      byModel: {},
      budgetStatuses: {},
      decisions: {},
      finishReasons: {},
      perAgent: [],
    });
  });
});
