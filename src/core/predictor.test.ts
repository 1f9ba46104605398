import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_HEADROOM,
  DEFAULT_TOKENS_PER_WORD,
  estimateResponseTokens,
  maxTokensFor,
  meanAbsolutePercentageError,
  medianAbsolutePercentageError,
  percentageErrorMedian,
  ranToCap,
  robustMean,
  wordLimitCeiling,
} from './predictor';

describe('response estimate', () => {
  test('uses the word limit when history is too short', () => {
    const result = estimateResponseTokens({
      wordLimit: 300,
      tokensPerWord: DEFAULT_TOKENS_PER_WORD,
      history: [100, 120],
      minimumSamples: 5,
      maxResponseTokens: 2000,
    });
    assert.deepEqual(result, { estimate: 405, basis: 'word-limit' });
  });

  test('uses the agent history once there are enough samples, ignoring an outlier', () => {
    const history = [200, 210, 190, 205, 195, 1900];
    const result = estimateResponseTokens({
      wordLimit: 300,
      tokensPerWord: 1.35,
      history,
      minimumSamples: 5,
      maxResponseTokens: 2000,
    });
    assert.equal(result.basis, 'history');
    assert.equal(result.estimate, 200);
    const plainMean = history.reduce((sum, value) => sum + value, 0) / history.length;
    assert.ok(plainMean > 480, 'the plain mean would have been pulled far up by the outlier');
  });

  test('zero-token records (failed calls) are not samples', () => {
    const result = estimateResponseTokens({
      wordLimit: 100,
      tokensPerWord: 1.5,
      history: [0, 0, 0, 80, 90],
      minimumSamples: 3,
      maxResponseTokens: 500,
    });
    assert.deepEqual(result, { estimate: 150, basis: 'word-limit' });
  });

  test('falls back to the response ceiling without word limit or history', () => {
    assert.deepEqual(
      estimateResponseTokens({ tokensPerWord: 1.35, minimumSamples: 5, maxResponseTokens: 2000 }),
      {
        estimate: 2000,
        basis: 'default',
      },
    );
  });

  test('never exceeds the response ceiling', () => {
    const result = estimateResponseTokens({
      wordLimit: 2000,
      tokensPerWord: 1.35,
      minimumSamples: 5,
      maxResponseTokens: 1000,
    });
    assert.equal(result.estimate, 1000);
  });

  test('rejects a nonsensical tokens-per-word ratio', () => {
    assert.throws(
      () =>
        estimateResponseTokens({
          wordLimit: 100,
          tokensPerWord: 0,
          minimumSamples: 5,
          maxResponseTokens: 1000,
        }),
      /tokensPerWord must be a positive number/,
    );
  });

  test('robust mean keeps every ordinary sample and drops the far ones', () => {
    assert.equal(robustMean([10, 12, 14, 100]), 12);
    assert.equal(robustMean([7, 7, 7, 50]), 7);
    assert.equal(robustMean([42]), 42);
  });
});

describe('max_tokens', () => {
  test('is the estimate with headroom when budget allows', () => {
    assert.equal(
      maxTokensFor({ estimate: 405, headroom: DEFAULT_HEADROOM, available: 3000, responseCap: 2000 }),
      507,
    );
  });

  test('is capped by what the budget has left and by the response cap', () => {
    assert.equal(maxTokensFor({ estimate: 405, headroom: 1.25, available: 300, responseCap: 2000 }), 300);
    assert.equal(maxTokensFor({ estimate: 1900, headroom: 1.25, available: 5000, responseCap: 2000 }), 2000);
  });

  test('is never negative', () => {
    assert.equal(maxTokensFor({ estimate: 400, headroom: 1.25, available: -50, responseCap: 2000 }), 0);
  });
});

describe('prediction error', () => {
  test('MAPE is the mean of absolute errors relative to the actual values', () => {
    const mape = meanAbsolutePercentageError([
      { predicted: 110, actual: 100 },
      { predicted: 150, actual: 200 },
      { predicted: 50, actual: 50 },
    ]);
    assert.ok(Math.abs(mape - (0.1 + 0.25 + 0) / 3) < 1e-12, `got ${mape}`);
  });

  test('pairs with an actual value of zero are skipped; no pairs gives NaN', () => {
    assert.equal(
      meanAbsolutePercentageError([
        { predicted: 10, actual: 0 },
        { predicted: 30, actual: 20 },
      ]),
      0.5,
    );
    assert.ok(Number.isNaN(meanAbsolutePercentageError([])));
  });
});

describe('word-limit ceiling and answers that ran on', () => {
  test('the ceiling is word limit x tokens per word with a 10% slack, rounded up', () => {
    assert.equal(wordLimitCeiling(300, 1.35), 446);
    assert.equal(wordLimitCeiling(200, 1.6), 352);
  });

  test('an answer ran to its cap when its completion reached max_tokens', () => {
    assert.equal(ranToCap({ completionTokens: 446, maxTokens: 446 }), true);
    assert.equal(ranToCap({ completionTokens: 445, maxTokens: 446 }), false);
    assert.equal(ranToCap({ completionTokens: 0, maxTokens: 0 }), false);
  });
});

describe('percentage-error median', () => {
  test('is the value with the least mean absolute percentage error', () => {
    const values = [100, 400, 400, 400, 400, 400];
    const best = percentageErrorMedian(values);
    assert.equal(best, 400);
    const mapeAt = (prediction: number) =>
      meanAbsolutePercentageError(values.map((actual) => ({ predicted: prediction, actual })));
    for (const candidate of [100, 150, 250, 350, 450]) {
      assert.ok(mapeAt(400) <= mapeAt(candidate), `400 beats ${candidate}`);
    }
  });

  test('small values weigh more than in the plain median', () => {
    // Plain median 300; relative to itself 100 counts three times as much as 300.
    assert.equal(percentageErrorMedian([100, 300, 300]), 100);
    assert.equal(percentageErrorMedian([100, 300, 300, 300, 300]), 300);
  });

  test('ignores values that are not positive; undefined when none remains', () => {
    assert.equal(percentageErrorMedian([0, -5, 80]), 80);
    assert.equal(percentageErrorMedian([0, Number.NaN]), undefined);
  });

  test('median absolute percentage error is not dominated by one very short answer', () => {
    const pairs = [
      { predicted: 100, actual: 100 },
      { predicted: 100, actual: 110 },
      { predicted: 100, actual: 10 },
    ];
    assert.ok(meanAbsolutePercentageError(pairs) > 3);
    assert.ok(Math.abs(medianAbsolutePercentageError(pairs) - 10 / 110) < 1e-12);
    assert.ok(Number.isNaN(medianAbsolutePercentageError([])));
  });
});
