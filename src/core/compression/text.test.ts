import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lostFacts } from '../fact-check';
import { compressText } from './compress-section';
import { flattenAnswerMarkup, normalizeWhitespace } from './text';

describe('text clean-up', () => {
  test('collapses spaces and blank lines but keeps indentation and never joins two tokens', () => {
    assert.equal(normalizeWhitespace('  a  b\t c \n\n\n\n    - d   e  \r\n'), 'a b c\n\n    - d e');
    assert.deepEqual(lostFacts('12  34\t56', normalizeWhitespace('12  34\t56')), []);
  });
});

describe('quoted answers', () => {
  test('lose their heading markers and markup-only lines, and keep words, figures and tables', () => {
    const answer =
      '## Task\nWrite it.\n###\n#\n| a | b |\n| --- | --- |\n| 1 | 2 |\n***\n```\nWe stay bearish at 4.5%.';
    assert.equal(
      flattenAnswerMarkup(answer),
      'Task\nWrite it.\n| a | b |\n| --- | --- |\n| 1 | 2 |\nWe stay bearish at 4.5%.',
    );
    const compressed = compressText(answer, 'report');
    assert.deepEqual(lostFacts(answer, compressed), []);
    assert.ok(!compressed.includes('#'), compressed);
    assert.equal(
      compressText('## Prices\n###\nx', 'text'),
      '## Prices\n###\nx',
      'only quoted answers are flattened',
    );
  });
});
