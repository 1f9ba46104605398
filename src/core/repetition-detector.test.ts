import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerBeforeRepeat, findRepetition, RepetitionDetector } from './repetition-detector';

// A paragraph the local model really looped on (SPX fundamentals report, 2026-11-25), 58 words.
const PARAGRAPH =
  'We have used data such as valuation metrics like forward_pe=17.3, dividend-paying earnings growth rate (DGGR) which has been cut due to lockdowns spreading across the globe; index-level figures including current price trend analysis with no additional features added; and news articles written daily by Yahoo Finance on the S&P500 Index over past six months.';
const OPENING = 'In this report, we present the fundamentals of SPX trading in detail.';

describe('findRepetition', () => {
  test('finds where a looping answer starts repeating itself', () => {
    const text = `### \n${OPENING}\n\n${PARAGRAPH}\n\n###\n\n${PARAGRAPH}\n\n###\n\n${PARAGRAPH}`;
    const found = findRepetition(text, 25);
    assert.ok(found);
    assert.equal(found.firstStart, text.indexOf(PARAGRAPH));
    assert.equal(found.repeatStart, text.indexOf(PARAGRAPH, found.firstStart + 1));
    assert.equal(answerBeforeRepeat(text, found.repeatStart), `### \n${OPENING}\n\n${PARAGRAPH}`);
  });

  test('a loop that starts inside a sentence is cut where the repeat starts', () => {
    const sentence = 'The index rose 2.7 percent on 2020-04-17 as traders priced a fast recovery in earnings';
    const text = `Summary first. ${sentence} and ${sentence} and ${sentence} and ${sentence}.`;
    const found = findRepetition(text, 20);
    assert.ok(found);
    assert.equal(answerBeforeRepeat(text, found.repeatStart), `Summary first. ${sentence} and`);
  });

  test('prose that reuses phrases, figures and short sentences is not a loop', () => {
    const text = [
      'SPX closed at 2874.56 on 2020-04-17. SPX closed at 2874.56 on 2020-04-17, up 2.7 percent.',
      'The bull case rests on earnings. The bear case rests on earnings too, and on valuation.',
      'Conclusion: the research manager is bullish on SPX as of 2020-04-17.',
      'Conclusion: the trader is bullish on SPX as of 2020-04-17.',
    ].join('\n\n');
    assert.equal(findRepetition(text, 25), undefined);
    assert.equal(findRepetition(`${PARAGRAPH} ${OPENING}`, 25), undefined);
  });

  test('the window sets how long a repeat must be; below 2 words it is off', () => {
    const text = `${OPENING} Then more. ${OPENING}`;
    assert.ok(findRepetition(text, 12), 'a 12-word sentence repeated');
    assert.equal(findRepetition(text, 13), undefined);
    assert.equal(findRepetition(`${PARAGRAPH} ${PARAGRAPH}`, 0), undefined);
    assert.equal(findRepetition(`${PARAGRAPH} ${PARAGRAPH}`, 1), undefined);
  });

  test('case and punctuation around words do not hide a repeat', () => {
    const text = `${OPENING} ${OPENING.toUpperCase().replace(/,/g, ' -')}`;
    assert.ok(findRepetition(text, 12));
  });
});

describe('RepetitionDetector on a stream', () => {
  test('finds the repeat as it streams, in the same place, whatever the chunking', () => {
    const text = `${OPENING}\n\n${PARAGRAPH}\n\n${PARAGRAPH}\n\n${PARAGRAPH}`;
    const whole = findRepetition(text, 25);
    assert.ok(whole);
    for (const size of [1, 3, 7, 40]) {
      const detector = new RepetitionDetector(25);
      let streamed = '';
      let foundAt: number | undefined;
      for (let index = 0; index < text.length && foundAt === undefined; index += size) {
        streamed = text.slice(0, index + size);
        const found = detector.update(streamed);
        if (found) {
          assert.deepEqual(found, whole, `chunks of ${size}`);
          foundAt = streamed.length;
        }
      }
      assert.ok(foundAt !== undefined, `found with chunks of ${size}`);
      // It stops the stream soon after the repeat begins: the window and the chunk, not the whole loop.
      const repeatedSoFar = text.slice(whole.repeatStart, foundAt);
      assert.ok(
        repeatedSoFar.split(/\s+/).length <= 25 + Math.ceil(size / 2) + 1,
        `${repeatedSoFar.split(/\s+/).length} words of the repeat streamed with chunks of ${size}`,
      );
    }
  });

  test('a word still streaming is not compared until it is complete', () => {
    const detector = new RepetitionDetector(2);
    assert.equal(detector.update('alpha beta alpha bet'), undefined, '"bet" may become "beta"');
    assert.equal(detector.update('alpha beta alpha betamax '), undefined);
    const other = new RepetitionDetector(2);
    other.update('alpha beta alpha bet');
    assert.deepEqual(other.update('alpha beta alpha beta '), { repeatStart: 11, firstStart: 0 });
  });

  test('a number split across chunks at its point is one word, as in the whole text', () => {
    const text = 'pe 17.3 and pe 17 3 ';
    assert.equal(findRepetition(text, 2), undefined, '"17.3" is one word: "17 3" does not repeat it');
    const detector = new RepetitionDetector(2);
    assert.equal(detector.update('pe 17.'), undefined);
    assert.equal(detector.update(text), undefined, 'the same when "17." and "3" arrive apart');
  });
});
