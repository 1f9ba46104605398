import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  countWords,
  endsWithFullSentence,
  enforceWordLimit,
  enforceWordLimitOnStoppedAnswer,
} from './word-limit';

/** A run of text whose word count is known without asking `countWords`. */
interface Piece {
  text: string;
  words: number;
}

const piece = (text: string, words: number): Piece => ({ text, words });

/** Words that start a sentence: capitalised, a number, or behind markdown. */
const firstPieceArbitrary: fc.Arbitrary<Piece & { isNumber?: boolean }> = fc.oneof(
  fc
    .constantFrom('The', 'Stocks', 'Yields', 'Momentum', 'Analysts', 'Revenue', 'Volume', 'Risk', 'Éric')
    .map((text) => piece(text, 1)),
  fc.constantFrom('**Trend:**', '**Risk**', '"Sell', '(Overall').map((text) => piece(text, 1)),
  fc.integer({ min: 2, max: 999 }).map((value) => ({ ...piece(String(value), 1), isNumber: true })),
);

const lowerCaseWordArbitrary = fc.stringMatching(/^[a-z]{1,10}$/);

/**
 * Everything that may sit inside a sentence without ending it, by the rules the module documents: decimals,
 * abbreviations before what makes them non-terminal, markdown, punctuation that is not `.!?`.
 */
const middlePieceArbitrary: fc.Arbitrary<Piece> = fc.oneof(
  lowerCaseWordArbitrary.map((text) => piece(text, 1)),
  fc
    .tuple(lowerCaseWordArbitrary, fc.constantFrom(',', ';', ':', '"', ')'))
    .map(([word, mark]) => piece(word + mark, 1)),
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.constantFrom('', '%', 'bn'))
    .map(([whole, decimals, unit]) => piece(`${whole}.${decimals}${unit}`, 1)),
  fc.constantFrom('2020-04-17', '$4.2bn', '12.5%', '-3.1%').map((text) => piece(text, 1)),
  fc
    .constantFrom(
      'e.g. bonds',
      'i.e. yields',
      'Mr. Powell',
      'Dr. Yellen',
      'U.S. Treasury',
      'U.K. gilts',
      'approx. 12.5%',
      'No. 3',
      'p. 12',
      'vs. Apple',
      'J. Powell',
      'p.m. Eastern',
      'St. Louis',
      'Jan. 17',
    )
    .map((text) => piece(text, 2)),
  fc.constantFrom('**strong**', '*light*', '`SPX`', '"sell"', '(roughly)').map((text) => piece(text, 1)),
  fc.constantFrom('—', '-', '|', '&').map((text) => piece(text, 0)),
);

/** Last word of a sentence: nothing the module treats as an abbreviation. */
const lastWordArbitrary = fc.oneof(
  fc.constantFrom('today', 'higher', 'growth', 'now', 'soon', 'rates', 'demand', 'further'),
  fc.constantFrom('12.5%', '17.3', '2020'),
);

const terminalArbitrary = fc
  .tuple(fc.constantFrom('.', '!', '?', '...', '?!'), fc.constantFrom('', '', '"', '**', ')'))
  .map(([punctuation, closer]) => punctuation + closer);

/** What comes before a sentence: spaces, line breaks, list markers and headings (whose words count). */
const separatorArbitrary: fc.Arbitrary<Piece> = fc.oneof(
  fc
    .constantFrom(' ', '  ', '\n', '\n\n', '\n- ', '\n* ', '\n1. ', '\n12) ', ' | ', '\n\n---\n\n')
    .map((text) => piece(text, 0)),
  fc
    .constantFrom('\n\n## Outlook\n\n', '\n\n### Key risks\n\n')
    .map((text) => piece(text, countHeadingWords(text))),
);

const leadArbitrary: fc.Arbitrary<Piece> = fc.oneof(
  fc.constant(piece('', 0)),
  fc.constantFrom('- ', '1. ', '> ').map((text) => piece(text, 0)),
  fc.constant(piece('## Summary\n\n', 1)),
);

function countHeadingWords(heading: string): number {
  return heading.split(/\s+/).filter((word) => /[A-Za-z]/.test(word)).length;
}

interface Sentence {
  separator: Piece;
  first: Piece & { isNumber?: boolean };
  middle: Piece[];
  last: string;
  terminal: string;
}

/**
 * A text made of known sentences, each ending on `.`, `!` or `?` and starting with a capital or a digit, so
 * the test knows where every sentence ends (`ends`, offsets just past each final token) and how many words
 * lead up to it (`wordsThrough`). `complete` is false for a last sentence left without its final period.
 * `lineStartNumbers` are the positions (1 for the first word) of numbers that start a line.
 */
interface StructuredText {
  text: string;
  totalWords: number;
  ends: number[];
  wordsThrough: number[];
  complete: boolean[];
  lineStartNumbers: number[];
}

const sentenceArbitrary: fc.Arbitrary<Sentence> = fc.record({
  separator: separatorArbitrary,
  first: firstPieceArbitrary,
  middle: fc.array(middlePieceArbitrary, { maxLength: 10 }),
  last: lastWordArbitrary,
  terminal: terminalArbitrary,
});

const structuredTextArbitrary: fc.Arbitrary<StructuredText> = fc
  .record({
    lead: leadArbitrary,
    sentences: fc.array(sentenceArbitrary, { minLength: 1, maxLength: 8 }),
    unfinished: fc.boolean(),
    trailing: fc.constantFrom('', '', '\n', '  \n'),
  })
  .map(({ lead, sentences, unfinished, trailing }) => {
    let text = lead.text;
    let words = lead.words;
    const structured: StructuredText = {
      text: '',
      totalWords: 0,
      ends: [],
      wordsThrough: [],
      complete: [],
      lineStartNumbers: [],
    };
    sentences.forEach((sentence, index) => {
      if (index > 0) {
        text += sentence.separator.text;
        words += sentence.separator.words;
      }
      if (sentence.first.isNumber && (text === '' || text.endsWith('\n')))
        structured.lineStartNumbers.push(words + 1);
      const isUnfinished = unfinished && index === sentences.length - 1;
      const body = [sentence.first, ...sentence.middle].map((part) => part.text).join(' ');
      text += `${body} ${sentence.last}${isUnfinished ? '' : sentence.terminal}`;
      words += sentence.first.words + sentence.middle.reduce((sum, part) => sum + part.words, 0) + 1;
      structured.ends.push(text.length);
      structured.wordsThrough.push(words);
      structured.complete.push(!isUnfinished);
    });
    structured.text = text + trailing;
    structured.totalWords = words;
    return structured;
  });

/** Texts from a small alphabet dense in the characters the limiter cares about. */
const denseTextArbitrary = fc.string({
  unit: fc.constantFrom(...'aZé1 9.!?,;:-*#"\')(_`\n\n\t  '.split('')),
  maxLength: 200,
});

/** Texts of words, numbers, abbreviations and markdown in any order. */
const jumbledTextArbitrary = fc
  .array(
    fc.tuple(
      fc.oneof(
        middlePieceArbitrary.map((part) => part.text),
        firstPieceArbitrary.map((part) => part.text),
        fc.tuple(lastWordArbitrary, terminalArbitrary).map(([word, terminal]) => word + terminal),
        fc.constantFrom('1.', '2)', '##', '-', '*', '.', 'A.', 'Mr.', 'U.S.', 'No.', '7', '3,'),
      ),
      fc.constantFrom(' ', ' ', ' ', '\n', '\n\n', '\t'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.map(([word, space]) => word + space).join(''));

const anyTextArbitrary = fc.oneof(
  structuredTextArbitrary.map((structured) => structured.text),
  jumbledTextArbitrary,
  denseTextArbitrary,
  fc.string({ unit: 'grapheme', maxLength: 120 }),
);

const limitArbitrary = fc.integer({ min: 0, max: 60 });

const runs = { numRuns: 500 };

describe('enforceWordLimit, over any text', () => {
  test('never keeps more words than the limit, and reports counts as countWords does', () => {
    fc.assert(
      fc.property(anyTextArbitrary, limitArbitrary, (text, limit) => {
        const result = enforceWordLimit(text, limit);
        assert.ok(result.words <= limit, `${result.words} words kept under a limit of ${limit}`);
        assert.equal(result.rawWords, countWords(text));
        assert.equal(result.words, countWords(result.text));
      }),
      runs,
    );
  });

  test('returns a text within its limit unchanged, and says so', () => {
    fc.assert(
      fc.property(anyTextArbitrary, fc.nat(20), (text, slack) => {
        const limit = countWords(text) + slack;
        const result = enforceWordLimit(text, limit);
        assert.equal(result.text, text);
        assert.equal(result.truncated, false);
        assert.equal(result.rawCompliant, true);
        assert.equal(result.endsOnSentence, endsWithFullSentence(text));
      }),
      runs,
    );
  });

  test('truncates exactly when words were removed', () => {
    fc.assert(
      fc.property(anyTextArbitrary, limitArbitrary, (text, limit) => {
        const result = enforceWordLimit(text, limit);
        assert.equal(result.truncated, result.rawWords > limit);
        assert.equal(result.truncated, result.words < result.rawWords);
        assert.equal(result.truncated, result.text !== text);
        assert.equal(result.rawCompliant, !result.truncated);
      }),
      runs,
    );
  });

  test('keeps a prefix of the text, or a prefix closed with a period when no full sentence fits', () => {
    fc.assert(
      fc.property(anyTextArbitrary, limitArbitrary, (text, limit) => {
        const result = enforceWordLimit(text, limit);
        if (text.startsWith(result.text)) return;
        assert.ok(result.text.endsWith('.'), `not a prefix: ${JSON.stringify(result.text)}`);
        const closed = result.text.slice(0, -1);
        assert.ok(text.startsWith(closed), `not a prefix: ${JSON.stringify(result.text)}`);
        // The fallback cut adds a period only where the kept words did not already end on one.
        assert.equal(endsWithFullSentence(closed), false);
      }),
      runs,
    );
  });

  test('a cut text ends on a sentence, as endsOnSentence says, unless nothing could be kept', () => {
    fc.assert(
      fc.property(anyTextArbitrary, limitArbitrary, (text, limit) => {
        const result = enforceWordLimit(text, limit);
        assert.equal(result.endsOnSentence, endsWithFullSentence(result.text));
        if (result.truncated)
          assert.ok(result.endsOnSentence || result.text === '', JSON.stringify(result.text));
      }),
      runs,
    );
  });

  test('a larger limit never keeps fewer words, and a kept text is stable under its own limit', () => {
    fc.assert(
      fc.property(anyTextArbitrary, limitArbitrary, fc.nat(30), (text, limit, more) => {
        const result = enforceWordLimit(text, limit);
        assert.ok(result.words <= enforceWordLimit(text, limit + more).words);
        assert.equal(enforceWordLimit(result.text, limit).text, result.text);
      }),
      runs,
    );
  });
});

describe('enforceWordLimit, over texts of known sentences', () => {
  test('counts words as the module documents: markup and list numbers are free', () => {
    fc.assert(
      fc.property(structuredTextArbitrary, (structured) => {
        assert.equal(countWords(structured.text), structured.totalWords);
      }),
      runs,
    );
  });

  test('cuts after the last full sentence that ends within the limit', () => {
    fc.assert(
      fc.property(structuredTextArbitrary, limitArbitrary, (structured, limit) => {
        const result = enforceWordLimit(structured.text, limit);
        if (structured.totalWords <= limit) {
          assert.equal(result.text, structured.text);
          return;
        }
        let lastFitting = -1;
        structured.wordsThrough.forEach((words, index) => {
          if (words <= limit && structured.complete[index]) lastFitting = index;
        });
        if (lastFitting >= 0) {
          assert.equal(result.text, structured.text.slice(0, structured.ends[lastFitting]));
          assert.equal(result.words, structured.wordsThrough[lastFitting]);
          assert.equal(result.endsOnSentence, true);
          return;
        }
        // No full sentence fits: cut after the last word within the limit and closed with a period, or one word
        // earlier when that word is a number starting a line (the period would make it a list marker).
        const expectedWords = structured.lineStartNumbers.includes(limit) ? limit - 1 : limit;
        assert.equal(result.words, expectedWords, JSON.stringify(result.text));
        assert.equal(result.endsOnSentence, expectedWords > 0);
        if (expectedWords > 0) assert.ok(endsWithFullSentence(result.text), JSON.stringify(result.text));
        else assert.equal(result.text, '');
      }),
      runs,
    );
  });
});

describe('enforceWordLimitOnStoppedAnswer', () => {
  test('is never raw-compliant, keeps to the limit and ends on a sentence unless it kept no word', () => {
    fc.assert(
      fc.property(anyTextArbitrary, limitArbitrary, (text, limit) => {
        const result = enforceWordLimitOnStoppedAnswer(text, limit);
        assert.equal(result.rawCompliant, false);
        assert.ok(result.words <= limit);
        assert.equal(result.words, countWords(result.text));
        assert.ok(result.endsOnSentence || result.words === 0, JSON.stringify(result.text));
        if (!result.truncated) assert.equal(result.text, text);
      }),
      runs,
    );
  });

  test('keeps a stopped answer that ends on a sentence within its limit whole', () => {
    fc.assert(
      fc.property(structuredTextArbitrary, fc.nat(10), (structured, slack) => {
        fc.pre(structured.complete.every(Boolean));
        const result = enforceWordLimitOnStoppedAnswer(structured.text, structured.totalWords + slack);
        assert.equal(result.text, structured.text);
        assert.equal(result.truncated, false);
      }),
      runs,
    );
  });
});
