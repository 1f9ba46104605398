import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_NAMES } from './agents';
import { recalibrate, type AgentUsageProfile, type LearningInputs, type RecordedAnswer } from './calibration';
import { wordLimitCeiling } from './predictor';

const base = Object.fromEntries(
  AGENT_NAMES.map((agent) => [agent, { wordLimit: 300, allocation: 2000 }]),
) as LearningInputs['base'];

function inputs(profiles: AgentUsageProfile[], extra: Partial<LearningInputs> = {}): LearningInputs {
  return { profiles, base, minimumSamples: 5, maximumAdjustment: 0.5, ...extra };
}

function profile(answers: RecordedAnswer[], repairs: RecordedAnswer[] = []): AgentUsageProfile {
  return { agent: 'trader', calls: answers.length, answers, repairs, meanPromptTokens: 1000 };
}

/** An answer that ran on until max_tokens stopped it, `tokensPerWord` tokens per word. */
function ranOn(maxTokens: number, tokensPerWord = 1.6): RecordedAnswer {
  const rawWords = Math.round(maxTokens / tokensPerWord);
  return { completionTokens: maxTokens, rawWords, wordLimit: 300, maxTokens, truncated: rawWords > 300 };
}

/** An answer that ended by itself. */
function ended(completionTokens: number, rawWords: number, truncated = false): RecordedAnswer {
  return { completionTokens, rawWords, wordLimit: 300, maxTokens: 600, truncated };
}

describe('recalibration', () => {
  test('a model that runs on to max_tokens is predicted at its ceiling and its word limit is not loosened', () => {
    const answers = Array.from({ length: 8 }, () => ranOn(507));
    const result = recalibrate(inputs([profile(answers)]), 'v1', '2026-11-25T00:00:00Z');
    const trader = result.agents.trader;
    assert.ok(trader);
    assert.equal(trader.wordLimit, 300, 'every answer was cut, but by max_tokens, not the word limit');
    assert.equal(trader.runOnRate, 1);
    assert.equal(trader.capFraction, 1);
    assert.deepEqual(
      trader.outcomeFractions,
      Array.from({ length: 8 }, () => 1),
    );
    assert.equal(trader.expectedCompletionTokens, wordLimitCeiling(300, trader.tokensPerWord));
    assert.ok(
      result.reasons.some((reason) => /ran on until max_tokens/.test(reason)),
      result.reasons.join('\n'),
    );
    assert.ok(!result.reasons.some((reason) => /word limit loosened/.test(reason)));
  });

  test('answers that ended by themselves past the word limit loosen it', () => {
    const answers = [
      ...Array.from({ length: 3 }, () => ended(500, 340, true)),
      ...Array.from({ length: 5 }, () => ended(400, 280)),
    ];
    const result = recalibrate(inputs([profile(answers)]), 'v1', '2026-11-25T00:00:00Z');
    assert.equal(result.agents.trader?.wordLimit, 345);
    assert.ok(result.reasons.some((reason) => /ended by themselves past the word limit/.test(reason)));
  });

  test('answers the stream monitor stopped looping keep their length but never move the word limit', () => {
    // Cut to the limit and short: as an ended answer, each would loosen or tighten the limit.
    const looping = (completionTokens: number, rawWords: number, truncated: boolean): RecordedAnswer => ({
      ...ended(completionTokens, rawWords, truncated),
      finishReason: 'repetition',
    });
    const cut = Array.from({ length: 8 }, () => looping(520, 310, true));
    const cutResult = recalibrate(inputs([profile(cut)]), 'v1', '2026-11-25T00:00:00Z');
    assert.equal(cutResult.agents.trader?.wordLimit, 300, cutResult.reasons.join('\n'));
    assert.ok(
      cutResult.reasons.some((reason) => /100% of answers were stopped repeating themselves/.test(reason)),
    );

    const short = [130, 140, 135, 150, 145, 138].map((tokens) => looping(tokens, 60, false));
    const shortResult = recalibrate(inputs([profile(short)]), 'v1', '2026-11-25T00:00:00Z');
    const trader = shortResult.agents.trader;
    assert.ok(trader);
    assert.equal(trader.wordLimit, 300, 'not tightened: the model did not end these by itself');
    assert.equal(trader.tokensPerWord, 1.35, 'their tokens/word is not measured: the default stays');
    assert.ok(
      Math.abs((trader.expectedCompletionTokens ?? 0) - 138) <= 2,
      `predicted at their length, got ${trader.expectedCompletionTokens}`,
    );
  });

  test('answers that always end well under the limit tighten it and are predicted at their length', () => {
    const answers = [130, 140, 135, 150, 145, 138].map((tokens) => ended(tokens, 100));
    const result = recalibrate(inputs([profile(answers)]), 'v1', '2026-11-25T00:00:00Z');
    const trader = result.agents.trader;
    assert.ok(trader);
    assert.equal(trader.wordLimit, 240, 'max(100 x 1.25, 300 x 0.8)');
    assert.equal(trader.runOnRate, 0);
    assert.ok((trader.capFraction ?? 1) < 0.5, `capFraction ${trader.capFraction}`);
    // Lengths scale with the limit: 300 -> 240 words shortens the expected answer by a fifth.
    const expected = trader.expectedCompletionTokens ?? 0;
    assert.ok(expected >= 100 && expected <= 120, `expected ${expected}`);
  });

  test('decision repairs are predicted apart and do not pull the answers down', () => {
    const answers = Array.from({ length: 6 }, () => ranOn(423));
    const repairs = [47, 60, 52].map((tokens) => ended(tokens, 30));
    const result = recalibrate(inputs([profile(answers, repairs)]), 'v1', '2026-11-25T00:00:00Z');
    assert.equal(result.agents.trader?.capFraction, 1);
    assert.equal(result.agents.trader?.repairCompletionTokens, 52);
  });

  test('too few calls leave the agent as it was, and say so', () => {
    const previous = {
      version: 'v0',
      createdAt: '2026-11-24T00:00:00Z',
      reasons: [],
      agents: { trader: { wordLimit: 280, allocation: 1900, tokensPerWord: 1.4 } },
    };
    const result = recalibrate(
      inputs([profile([ranOn(400), ranOn(400)])], { previous }),
      'v1',
      '2026-11-25T00:00:00Z',
    );
    assert.deepEqual(result.agents.trader, previous.agents.trader);
    assert.ok(result.reasons.some((reason) => /2 usable calls, fewer than 5; unchanged/.test(reason)));
  });

  test('the word limit never moves past the configured bounds', () => {
    const answers = Array.from({ length: 6 }, () => ended(500, 340, true));
    let previous;
    for (let round = 0; round < 10; round += 1) {
      previous = recalibrate(
        inputs([profile(answers)], { previous, maximumAdjustment: 0.2 }),
        `v${round}`,
        '2026-11-25T00:00:00Z',
      );
    }
    assert.equal(previous?.agents.trader?.wordLimit, 360);
  });
});
