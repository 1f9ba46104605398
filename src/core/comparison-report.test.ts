import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentName } from './agents';
import { buildComparisonReport, renderComparisonMarkdown, summarizeSide } from './comparison-report';
import type { AnalysisResult, CallSummary } from './run-types';

function call(agent: AgentName, promptTokens: number, cachedPromptTokens?: number): CallSummary {
  return {
    callId: `wf/${agent}/1`,
    agent,
    round: 1,
    budgetLine: agent,
    promptTokens,
    originalPromptTokens: promptTokens,
    completionTokens: 100,
    ...(cachedPromptTokens === undefined ? {} : { cachedPromptTokens }),
    lostTokens: 0,
    usageSource: 'server',
    maxTokens: 400,
    rawWords: 80,
    words: 80,
    truncated: false,
    limitEnforced: true,
    costUsd: 0.001,
    latencyMs: 10,
    attempts: 1,
    attemptRecords: [],
    finishReason: 'stop',
  };
}

/** A run with only what the summary reads. */
function result(calls: CallSummary[]): AnalysisResult {
  const promptTokens = calls.reduce((sum, entry) => sum + entry.promptTokens, 0);
  return {
    workflowId: 'wf',
    reports: {},
    calls,
    degradations: [],
    totals: {
      promptTokens,
      completionTokens: 100 * calls.length,
      lostTokens: 0,
      totalTokens: promptTokens + 100 * calls.length,
      costUsd: 0.001 * calls.length,
      wallTimeMs: 1000,
    },
  } as unknown as AnalysisResult;
}

describe('cached prompt tokens in the A/B comparison', () => {
  test('each side reports its cached tokens, its cached share and that of the agents after the analysts', () => {
    const side = summarizeSide(
      result([
        call('market_analyst', 1000, 0),
        call('bull_researcher', 2000, 1024),
        call('risk_manager', 2000, 1536),
      ]),
      {},
    );
    assert.equal(side.cachedPromptTokens, 2560);
    assert.equal(side.cachedShare, 2560 / 5000);
    assert.equal(side.downstreamCachedShare, 2560 / 4000);
    assert.equal(side.perAgent.find((entry) => entry.agent === 'risk_manager')?.cachedPromptTokens, 1536);
  });

  test('a provider that reports no cached count leaves the figures unknown, not zero', () => {
    const side = summarizeSide(result([call('market_analyst', 1000), call('trader', 2000)]), {});
    assert.equal(side.cachedPromptTokens, undefined);
    assert.equal(side.cachedShare, undefined);
    assert.equal(side.downstreamCachedShare, undefined);
    const report = buildComparisonReport('ab', side, side, {
      ticker: 'SPX',
      date: '2020-04-17',
      provider: 'local',
      model: 'smollm2',
    });
    assert.match(renderComparisonMarkdown(report), /^\| cached share of prompt tokens \| n\/a \| n\/a \|/m);
  });

  test('the markdown shows both sides’ cached shares', () => {
    const baseline = summarizeSide(result([call('trader', 4000, 0)]), {});
    const optimized = summarizeSide(result([call('trader', 2000, 1280)]), {});
    const markdown = renderComparisonMarkdown(
      buildComparisonReport('ab', baseline, optimized, {
        ticker: 'SPX',
        date: '2020-04-17',
        provider: 'openai',
        model: 'gpt-4o-mini',
      }),
    );
    assert.match(markdown, /^\| cached share of prompt tokens \| 0\.0% \| 64\.0% \|/m);
    assert.match(markdown, /^\| cached share, agents after the analysts \| 0\.0% \| 64\.0% \|/m);
    assert.match(markdown, /^\| Trader \| 4000 \| 0 \| 100 \| 2000 \| 1280 \| 100 \|$/m);
  });
});
