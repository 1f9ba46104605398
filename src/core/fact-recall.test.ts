import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { factRecall, keyFacts } from './fact-recall';

const social =
  'Posts on 2020-04-16 were mixed.\n## Summary\nTraders stayed bearish into the close at 2874.56.';

describe('fact recall', () => {
  test('a report’s own headings do not hide its conclusion', () => {
    const facts = keyFacts({ social_analyst: social });
    assert.deepEqual(
      facts.map((fact) => `${fact.kind}:${fact.value}`),
      ['conclusion:bearish', 'figure:2020-04-16', 'figure:2874.56'],
    );
    const prompt = `## Social Analyst report\n${social}\n\n## Trader's plan\nWe buy.\n\n## Task\nDecide.`;
    assert.equal(factRecall(facts, prompt).recall, 1);
    // The section ends where the next agent's text begins: a debate turn's stance is not the report's.
    const debate = `## Social Analyst report\n${social}\n\n## Bull Researcher, round 1\nI am bullish.\n\n## Task\nDecide.`;
    assert.equal(factRecall(facts, debate).recall, 1);
  });

  test('a digest that ends on another stance, or drops a figure, misses those facts', () => {
    const facts = keyFacts({ social_analyst: social });
    const prompt = '## Social Analyst report (digest)\nPosts on 2020-04-16 were bullish.\n\n## Task\nDecide.';
    const recall = factRecall(facts, prompt);
    assert.equal(recall.reached, 1);
    assert.deepEqual(
      recall.missing.map((fact) => fact.value),
      ['bearish', '2874.56'],
    );
  });

  test('a report that echoes the prompt\'s own "## Task" heading is still read to its end', () => {
    const echoing = '## Task\nWrite the sentiment report: the mood is bearish after 2,874.56.';
    const facts = keyFacts({ social_analyst: echoing });
    assert.deepEqual(
      facts.map((fact) => `${fact.kind}:${fact.value}`),
      ['conclusion:bearish', 'figure:2874.56'],
    );
    const prompt = `## Social Analyst report\n${echoing}\n\n## Task\nDecide BUY or SELL.\n\n## Length\nAt most 100 words.`;
    assert.equal(factRecall(facts, prompt).recall, 1);
  });
});
