import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeErrorSources } from '../bench/support/prediction-error';
import { correlation } from '../bench/support/statistics';
import type { AgentName } from '../src/core/agents';
import type { AnalysisResult, CallSummary } from '../src/core/run-types';

function call(
  agent: AgentName,
  promptTokens: number,
  predictedTokens: number,
  completionTokens: number,
): CallSummary {
  return {
    callId: `run/${agent}/1`,
    agent,
    promptTokens,
    predictedTokens,
    completionTokens,
    finishReason: 'stop',
  } as CallSummary;
}

function run(calls: CallSummary[], reports: Partial<Record<AgentName, string>> = {}): AnalysisResult {
  return { calls, reports } as AnalysisResult;
}

describe('correlation', () => {
  test('is 1 and -1 for lines, and NaN without spread or with fewer than 3 values', () => {
    assert.equal(correlation([1, 2, 3, 4], [3, 5, 7, 9]), 1);
    assert.equal(correlation([1, 2, 3, 4], [9, 7, 5, 3]), -1);
    assert.ok(Number.isNaN(correlation([1, 2, 3], [5, 5, 5])));
    assert.ok(Number.isNaN(correlation([1, 2], [1, 2])));
  });
});

describe('describeErrorSources (prediction bench)', () => {
  test('names the worst call, its share of the MAPE and its answer', () => {
    const results = [
      run(
        [
          call('market_analyst', 900, 100, 110),
          call('research_manager', 1000, 200, 20),
          call('trader', 800, 100, 95),
        ],
        {
          research_manager: 'Done.',
        },
      ),
      run([
        call('market_analyst', 1000, 100, 90),
        call('research_manager', 900, 200, 210),
        call('trader', 850, 100, 105),
      ]),
    ];
    const text = describeErrorSources(results, ['AAA 2020-01-02', 'BBB 2021-03-04']);
    assert.match(text, /Research Manager of AAA 2020-01-02, predicted 200 tokens, answered in 20/);
    // (200 - 20) / 20 = 900% over 6 calls: 150 points; the other five average 7%.
    assert.match(text, /adds 150\.0 points to the MAPE; the other 5 calls score 7\.0%/);
    assert.match(text, /Its answer: "Done\."/);
  });

  test('reports a strong correlation with prompt tokens as a term worth learning', () => {
    // Longer prompts, longer answers, in no order of the run.
    const calls = [1100, 500, 1700, 800, 1400].map((prompt) =>
      call('news_analyst', prompt, 100, prompt / 10),
    );
    const text = describeErrorSources([run(calls)], ['AAA 2020-01-02']);
    assert.match(text, /with the call's prompt tokens is 0\.9\d/);
    assert.match(
      text,
      /The call's prompt tokens (and [^:]*)?reach(es)? 0\.3 or more in absolute value: a term worth learning/,
    );
  });
  test('says when there are too few answers to measure a correlation', () => {
    const text = describeErrorSources(
      [run([call('trader', 800, 100, 90), call('trader', 800, 100, 120)])],
      ['AAA 2020-01-02'],
    );
    assert.match(text, /prompt tokens is n\/a/);
    assert.match(text, /Too few answers with spread to tell\./);
  });
});
