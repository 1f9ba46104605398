import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  complianceRate,
  countWords,
  endsWithFullSentence,
  enforceWordLimit,
  enforceWordLimitOnStoppedAnswer,
} from './word-limit';

describe('countWords', () => {
  test('counts words, not markdown marks or list numbers', () => {
    assert.equal(countWords('## Summary\n\n1. **Trend**: up | 12.5 |\n- item'), 5);
    assert.equal(countWords('  one\ttwo\nthree  '), 3);
    assert.equal(countWords(''), 0);
    assert.equal(countWords('--- | *'), 0);
  });

  test('a number inside a sentence is a word', () => {
    assert.equal(countWords('Closed at 12.5 on 2020-01-02.'), 5);
  });
});

describe('enforceWordLimit', () => {
  const text =
    'The stock rose 12.5% in the U.S. market today. Analysts, e.g. Goldman, expect more. Mr. Smith agrees! Then a long tail of words goes on and on.';

  test('keeps an answer within its limit unchanged', () => {
    const result = enforceWordLimit(text, 27);
    assert.deepEqual(result, {
      text,
      rawWords: 27,
      words: 27,
      truncated: false,
      endsOnSentence: true,
      rawCompliant: true,
    });
  });

  test('cuts at the last full sentence, skipping decimals and abbreviations', () => {
    // 10 words reach "Analysts,": the only sentence end before it is "today.", not "12.5" nor "U.S.".
    const result = enforceWordLimit(text, 10);
    assert.equal(result.text, 'The stock rose 12.5% in the U.S. market today.');
    assert.equal(result.words, 9);
    assert.equal(result.rawWords, 27);
    assert.equal(result.truncated, true);
    assert.equal(result.rawCompliant, false);
    assert.equal(result.endsOnSentence, true);
  });

  test('does not end a sentence at "e.g." or "Mr."', () => {
    assert.equal(
      enforceWordLimit(text, 16).text,
      'The stock rose 12.5% in the U.S. market today. Analysts, e.g. Goldman, expect more.',
    );
    assert.equal(
      enforceWordLimit(text, 20).text,
      'The stock rose 12.5% in the U.S. market today. Analysts, e.g. Goldman, expect more. Mr. Smith agrees!',
    );
  });

  test('dotted abbreviations before a capitalised word are not sentence ends', () => {
    assert.equal(enforceWordLimit(text, 12).text, 'The stock rose 12.5% in the U.S. market today.');
    const result = enforceWordLimit('Yields on U.S. Treasury bonds fell sharply. Stocks rose.', 6);
    assert.equal(result.text, 'Yields on U.S. Treasury bonds fell.');
    assert.equal(result.words, 6);
  });

  test('a sentence ending exactly on the limit is kept whole', () => {
    const result = enforceWordLimit(text, 14);
    assert.equal(result.words, 14);
    assert.ok(result.text.endsWith('expect more.'));
  });

  test('a period followed by a lower-case word is not a sentence end', () => {
    const result = enforceWordLimit(
      'Revenue grew. Margins fell approx. ten points vs. last year. The end is near.',
      9,
    );
    assert.equal(result.text, 'Revenue grew.');
  });

  test('without any full sentence within the limit it cuts after the last word and closes it', () => {
    const result = enforceWordLimit(
      'Momentum is strong, volume is rising, and the breakout above resistance looks durable.',
      6,
    );
    assert.equal(result.text, 'Momentum is strong, volume is rising.');
    assert.equal(result.words, 6);
    assert.equal(result.truncated, true);
    assert.equal(result.endsOnSentence, true);
  });

  test('the closing period never turns a number starting a line into a list marker', () => {
    // "12." at the start of a line is an ordered-list marker: no word, and no sentence end.
    const result = enforceWordLimit('Revenue was\n12 percent higher than expected', 3);
    assert.equal(result.text, 'Revenue was.');
    assert.equal(result.words, 2);
    assert.equal(result.endsOnSentence, true);
    assert.deepEqual(enforceWordLimit('12 analysts expect growth.', 1), {
      text: '',
      rawWords: 4,
      words: 0,
      truncated: true,
      endsOnSentence: false,
      rawCompliant: false,
    });
    assert.equal(
      enforceWordLimitOnStoppedAnswer('Revenue was\n12 percent', 50).text,
      'Revenue was.',
      'a stopped answer is cut the same way',
    );
  });

  test('never cuts mid-word', () => {
    const long = 'Supercalifragilistic expialidocious '.repeat(20);
    const result = enforceWordLimit(long, 3);
    assert.equal(result.text, 'Supercalifragilistic expialidocious Supercalifragilistic.');
  });

  test('keeps markdown and whitespace of the kept part', () => {
    const markdown =
      '## Summary\n\n- **Trend:** up strongly.\n- **Risk:** high volatility.\n\nMore text follows here.';
    const result = enforceWordLimit(markdown, 6);
    assert.equal(result.text, '## Summary\n\n- **Trend:** up strongly.');
    assert.equal(result.words, 4);
  });

  test('closing markdown after the period belongs to the sentence; list numbers are not sentence ends', () => {
    const markdown = '1. **Buy now.** Strong trend today\n2. Then more words and more words';
    assert.equal(enforceWordLimit(markdown, 5).text, '1. **Buy now.**');
  });

  test('empty text and a zero limit', () => {
    assert.deepEqual(enforceWordLimit('', 10), {
      text: '',
      rawWords: 0,
      words: 0,
      truncated: false,
      endsOnSentence: false,
      rawCompliant: true,
    });
    const zero = enforceWordLimit('Some words here.', 0);
    assert.equal(zero.text, '');
    assert.equal(zero.truncated, true);
  });

  test('rejects a limit that is not a whole number', () => {
    assert.throws(() => enforceWordLimit('text', 2.5), /whole number/);
  });

  test('endsWithFullSentence allows trailing quotes and whitespace', () => {
    assert.equal(endsWithFullSentence('He said "sell."  \n'), true);
    assert.equal(endsWithFullSentence('No period here'), false);
  });
});

describe('complianceRate', () => {
  test('is the share of raw-compliant answers', () => {
    assert.equal(
      complianceRate([
        { rawCompliant: true },
        { rawCompliant: false },
        { rawCompliant: true },
        { rawCompliant: true },
      ]),
      0.75,
    );
    assert.ok(Number.isNaN(complianceRate([])));
  });
});

describe('an answer max_tokens stopped', () => {
  test('loses its unfinished last sentence even within the word limit', () => {
    const result = enforceWordLimitOnStoppedAnswer(
      'Revenue rose 12%. Margins held at 31%. The outlook for',
      50,
    );
    assert.equal(result.text, 'Revenue rose 12%. Margins held at 31%.');
    assert.equal(result.truncated, true);
    assert.equal(result.endsOnSentence, true);
    assert.equal(result.rawCompliant, false, 'stopped, not ended within its limit by the model');
  });

  test('is kept whole when it happens to end on a sentence', () => {
    const result = enforceWordLimitOnStoppedAnswer('Revenue rose 12%. Margins held.', 50);
    assert.equal(result.text, 'Revenue rose 12%. Margins held.');
    assert.equal(result.truncated, false);
    assert.equal(result.rawCompliant, false);
  });

  test('over its word limit it is cut like any other answer', () => {
    const result = enforceWordLimitOnStoppedAnswer('One two three. Four five six. Seven eight nine ten', 7);
    assert.equal(result.text, 'One two three. Four five six.');
    assert.equal(result.rawCompliant, false);
  });
});
