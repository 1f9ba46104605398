import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODELS } from '../src/config/defaults';
import { agentsOfStage, type AgentName } from '../src/core/agents';
import { summarizeSide } from '../src/core/comparison-report';
import { costUsd } from '../src/core/pricing';
import type { AnalysisResult, CallSummary } from '../src/core/run-types';
import { cachedShareOf } from '../src/core/usage-report';
import { ANY_PREFIX_CACHE, OPENAI_PREFIX_CACHE } from './support/fake-openai-server';
import { runAnalysis, startHarness, testConfig, type Harness } from './support/workflow-harness';

/**
 * Cache-aware prompts measured end to end: real runs on a Temporal dev server against the fake OpenAI server
 * with its prefix cache on, which reports `prompt_tokens_details.cached_tokens` as a caching provider does.
 */

let harness: Harness;

before(async () => {
  harness = await startHarness({ prefixCache: ANY_PREFIX_CACHE });
});

after(async () => {
  await harness?.close();
});

const analysts: readonly AgentName[] = agentsOfStage('analysts');

function downstreamCalls(result: AnalysisResult): CallSummary[] {
  return result.calls.filter((call) => !analysts.includes(call.agent));
}

async function run(mode: 'optimized' | 'baseline', workflowId: string): Promise<AnalysisResult> {
  const outcome = await runAnalysis(harness, {
    config: testConfig(harness),
    request: { mode },
    workflowId,
  });
  assert.ok(outcome.ok, `run ${workflowId} failed: ${String(outcome.ok ? '' : outcome.error)}`);
  return outcome.result;
}

describe('prompt prefix cache on a server that reports cached tokens', () => {
  test('optimized: at least half of the downstream prompt tokens are cached, recorded and priced as such', async () => {
    const result = await run('optimized', 'test-prompt-cache-optimized');
    const downstream = downstreamCalls(result);
    assert.equal(downstream.length, 8);
    const share = cachedShareOf(downstream);
    assert.ok(share !== undefined && share >= 0.5, `downstream cached share ${share}`);

    // The server's bill, the run's call summaries and the ledger agree call by call.
    const bills = new Map(
      harness.server.requests.flatMap((request) => {
        const callId = request.headers['x-tokenflow-call-id'];
        return callId !== undefined && request.billed ? [[callId, request.billed] as const] : [];
      }),
    );
    const ledger = await harness.store.listUsage({ workflowId: result.workflowId });
    assert.equal(ledger.length, result.calls.length);
    const prices = DEFAULT_MODELS['gpt-4o-mini'];
    assert.ok(prices);
    for (const call of result.calls) {
      assert.equal(call.cachedPromptTokens, bills.get(call.callId)?.cachedPromptTokens, call.callId);
      const recorded = ledger.find((record) => record.callId === call.callId);
      assert.equal(recorded?.cachedPromptTokens, call.cachedPromptTokens, call.callId);
      const cached = call.cachedPromptTokens ?? 0;
      const expected = costUsd(
        { inputTokens: call.promptTokens, outputTokens: call.completionTokens, cachedInputTokens: cached },
        prices,
      );
      assert.ok(Math.abs((call.costUsd ?? -1) - (expected ?? 0)) < 1e-12, `${call.callId} cost`);
      if (cached > 0) {
        const listPrice = costUsd(
          { inputTokens: call.promptTokens, outputTokens: call.completionTokens },
          prices,
        );
        assert.ok((call.costUsd ?? 0) < (listPrice ?? 0), `${call.callId} pays the cached price`);
      }
    }

    // The A/B report's figures for this side.
    const side = summarizeSide(result, {});
    assert.equal(side.downstreamCachedShare, share);
    assert.equal(
      side.cachedPromptTokens,
      result.calls.reduce((sum, call) => sum + (call.cachedPromptTokens ?? 0), 0),
    );
  });

  test('baseline keeps the origin layout, whose role-first prompts share almost nothing', async () => {
    // A fresh cache, so the optimized run's prompts do not count.
    harness.server.setBehaviour({ prefixCache: { ...ANY_PREFIX_CACHE } });
    const result = await run('baseline', 'test-prompt-cache-baseline');
    const share = cachedShareOf(downstreamCalls(result));
    assert.ok(share !== undefined && share < 0.05, `baseline downstream cached share ${share}`);
  });

  test("under OpenAI's rule cached counts are 0 or whole 128-token blocks from 1,024", async () => {
    harness.server.setBehaviour({ prefixCache: OPENAI_PREFIX_CACHE });
    const result = await run('optimized', 'test-prompt-cache-openai');
    for (const call of result.calls) {
      const cached = call.cachedPromptTokens ?? -1;
      assert.ok(cached === 0 || (cached >= 1024 && cached % 128 === 0), `${call.callId}: ${cached}`);
      assert.ok(cached <= call.promptTokens);
    }
    // The later risk-debate prompts extend the earlier ones by more than 1,024 tokens.
    assert.ok(downstreamCalls(result).some((call) => (call.cachedPromptTokens ?? 0) >= 1024));
  });
});
