import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { wordLimitCeiling } from '../core/predictor';
import { createTiktokenCounter } from '../core/token-counter';
import { createPipelineActivities, type PredictInput } from './pipeline-activities';

const activities = createPipelineActivities({ counterFor: () => createTiktokenCounter('o200k_base') });

const call: PredictInput = {
  agent: 'trader',
  mode: 'optimized',
  wordLimit: 150,
  promptTokens: 1200,
  available: 5000,
  maxResponseTokens: 2000,
};

describe('predictResponse', () => {
  test('before learning: word limit x 1.35 predicted, max_tokens at the word-limit ceiling', async () => {
    const prediction = await activities.predictResponse(call);
    assert.deepEqual(prediction, { predictedTokens: 203, maxTokens: 223, basis: 'word-limit' });
    assert.equal(prediction.maxTokens, wordLimitCeiling(150, 1.35));
  });

  test('a model learned to run on is predicted at its ceiling, with its own tokens per word', async () => {
    const prediction = await activities.predictResponse({
      ...call,
      calibration: { wordLimit: 150, allocation: 1500, tokensPerWord: 1.6, capFraction: 1, runOnRate: 0.9 },
    });
    assert.equal(prediction.basis, 'history');
    assert.equal(prediction.maxTokens, wordLimitCeiling(150, 1.6));
    assert.equal(prediction.predictedTokens, prediction.maxTokens);
  });

  test('short answers give a short prediction and a max_tokens with headroom over it', async () => {
    const prediction = await activities.predictResponse({
      ...call,
      calibration: { wordLimit: 150, allocation: 1500, tokensPerWord: 1.4, capFraction: 0.4 },
    });
    const ceiling = wordLimitCeiling(150, 1.4);
    assert.equal(prediction.predictedTokens, Math.ceil(0.4 * ceiling));
    assert.equal(prediction.maxTokens, Math.ceil(Math.ceil(0.4 * ceiling) * 1.25));
  });

  test('when short answers set a low max_tokens, an agent that usually runs on is predicted at it', async () => {
    const prediction = await activities.predictResponse({
      ...call,
      wordLimit: 300,
      calibration: {
        wordLimit: 300,
        allocation: 1500,
        tokensPerWord: 1.434,
        capFraction: 0.272,
        outcomeFractions: [1, 1, 1, 1, 1, 0.27, 0.27, 0.28],
      },
    });
    // Estimate 0.272 x 474 = 129 tokens sets max_tokens = 162; five of eight recorded answers would run to it.
    assert.equal(wordLimitCeiling(300, 1.434), 474);
    assert.deepEqual(prediction, { predictedTokens: 162, maxTokens: 162, basis: 'history' });
  });

  test('a decision repair is predicted from past repairs but keeps the full ceiling', async () => {
    const prediction = await activities.predictResponse({
      ...call,
      repair: true,
      calibration: {
        wordLimit: 150,
        allocation: 1500,
        tokensPerWord: 1.6,
        capFraction: 1,
        repairCompletionTokens: 52,
      },
    });
    assert.equal(prediction.predictedTokens, 52);
    assert.equal(prediction.maxTokens, wordLimitCeiling(150, 1.6));
  });

  test('a calibration written before capFraction existed still predicts from its expected tokens', async () => {
    const prediction = await activities.predictResponse({
      ...call,
      calibration: { wordLimit: 150, allocation: 1500, tokensPerWord: 1.35, expectedCompletionTokens: 120 },
    });
    assert.deepEqual(prediction, { predictedTokens: 120, maxTokens: 150, basis: 'history' });
  });

  test('what the budget leaves caps max_tokens and the prediction', async () => {
    const prediction = await activities.predictResponse({ ...call, available: 90 });
    assert.deepEqual(prediction, { predictedTokens: 90, maxTokens: 90, basis: 'word-limit' });
  });

  test('baseline mode predicts nothing and allows what the budget and the response cap allow', async () => {
    const prediction = await activities.predictResponse({ ...call, mode: 'baseline', wordLimit: undefined });
    assert.deepEqual(prediction, { maxTokens: 2000, basis: 'none' });
  });
});

describe('limitResponse', () => {
  test('an answer max_tokens stopped mid-sentence ends at its last full sentence', async () => {
    const text = 'We buy at 2874. The stop sits at 2727 and the target';
    const stopped = await activities.limitResponse({
      text,
      wordLimit: 150,
      enforce: true,
      stoppedAtCap: true,
    });
    assert.equal(stopped.text, 'We buy at 2874.');
    assert.equal(stopped.rawCompliant, false, 'stopped, so the model did not keep the limit by itself');
    const ended = await activities.limitResponse({ text, wordLimit: 150, enforce: true });
    assert.equal(ended.text, text, 'an answer that ended by itself is left as written');
    assert.equal(ended.rawCompliant, true);
  });
});
