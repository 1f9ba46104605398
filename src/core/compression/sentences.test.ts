import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { removeBoilerplateAndRepeats, splitSentences } from './sentences';

describe('text clean-up', () => {
  test('drops boilerplate and repeated lines only when their facts remain elsewhere', () => {
    const text = [
      'Apple reported record services revenue this quarter.',
      'Read more: our full coverage of earnings season',
      'Disclaimer: prices as of 2020-04-17, delayed by 15 minutes.',
      'Apple reported record services revenue this quarter.',
    ].join('\n');
    assert.equal(
      removeBoilerplateAndRepeats(text),
      'Apple reported record services revenue this quarter.\nDisclaimer: prices as of 2020-04-17, delayed by 15 minutes.',
    );
  });

  test('splits sentences but not at abbreviations, initials or decimal points', () => {
    assert.deepEqual(
      splitSentences('Apple Inc. rose 2.5% on Jan. 5. J. Smith of the U.S. Treasury agreed! Why? Fine.'),
      ['Apple Inc. rose 2.5% on Jan. 5.', 'J. Smith of the U.S. Treasury agreed!', 'Why?', 'Fine.'],
    );
  });
});
