import { finalStance } from './stance';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DIGEST_TITLE_SUFFIX,
  KEY_FIGURES_LABEL,
  condenseText,
  estimateSectionsTokens,
  fitSectionsToBudget,
  prepareDigest,
  renderSection,
  sectionTokens,
  selectKeyFactDigest,
} from './context-manager';
import { lostFacts } from './fact-check';
import { createTiktokenCounter } from './token-counter';
import type { PromptSection } from './types';

const counter = createTiktokenCounter('o200k_base');

const MARKET_REPORT = [
  '## Market report: SPX as of 2020-04-17',
  'The index has staged a sharp rebound from the March low, and the tone of trading has improved markedly over the past three weeks.',
  'SPX closed at 2874.56 on 2020-04-17, up 2.68% on the day and 31.2% above the 2237.40 close of 2020-03-23.',
  'Price is now above the 10-day SMA of 2741.67 but still below the 50-day SMA of 2863.09, which has turned into resistance.',
  'Momentum indicators agree with the recovery narrative that traders have been discussing.',
  'RSI(14) stands at 57.28, neutral to slightly bullish, and MACD crossed above its signal line (13.83 vs -39.26).',
  'Volatility remains elevated by historical standards and intraday swings are still wide.',
  'ATR(14) is 109.88 points, so daily ranges of about 3.8% should be expected.',
  'Many participants remain sceptical of the rally and positioning is light.',
  'Support sits at 2727, the 2020-04-13 low, and then at 2500; resistance at 2900 and the 3000 round number.',
  'The market breadth picture has improved but remains narrower than in a healthy advance.',
  'Overall, the trend has turned up but the index faces heavy resistance near 2900, so we rate SPX a HOLD with a bullish tilt.',
].join('\n');

function words(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

describe('condenseText', () => {
  test('keeps the conclusion and the figure-dense sentences within the word target, in original order', () => {
    const digest = condenseText(MARKET_REPORT, 90);
    assert.ok(words(digest) <= 90, `digest has ${words(digest)} words`);
    assert.ok(digest.includes('so we rate SPX a HOLD with a bullish tilt.'), digest);
    assert.ok(digest.includes('RSI(14) stands at 57.28'), digest);
    assert.ok(digest.includes('SPX closed at 2874.56 on 2020-04-17'), digest);
    assert.ok(!digest.includes('positioning is light'), 'fact-free colour goes first');
    assert.ok(!digest.includes('## Market report'), 'headings are not kept');
    const lines = MARKET_REPORT.split('\n');
    const positions = digest.split('\n').map((line) => lines.findIndex((source) => source.includes(line)));
    assert.deepEqual(
      positions,
      [...positions].sort((left, right) => left - right),
    );
    assert.equal(condenseText(MARKET_REPORT, 90), digest, 'deterministic');
  });

  test('keeps the final conclusion even when it alone exceeds the target', () => {
    const digest = condenseText(MARKET_REPORT, 5);
    assert.equal(
      digest,
      'Overall, the trend has turned up but the index faces heavy resistance near 2900, so we rate SPX a HOLD with a bullish tilt.',
    );
  });

  test('returns a text already within the target unchanged', () => {
    assert.equal(condenseText('  Short. Report.  ', 10), 'Short. Report.');
  });
});

function report(analyst: string, priority: number, text: string): PromptSection {
  return {
    id: `report:${analyst}`,
    title: `${analyst} report`,
    kind: 'report',
    text,
    priority,
    condensable: true,
  };
}

function turn(
  author: 'bull_researcher' | 'bear_researcher',
  round: number,
  priority: number,
  condensable: boolean,
): PromptSection {
  const side = author === 'bull_researcher' ? 'bull' : 'bear';
  return {
    id: `debate:${author}:${round}`,
    title: `${side} round ${round}`,
    kind: 'debate-turn',
    text: `Round ${round} for the ${side}: ${MARKET_REPORT.split('\n').slice(1).join(' ')} Therefore the ${side} case stands, and we recommend ${side === 'bull' ? 'BUY' : 'SELL'} at 2874.56 (round ${round}).`,
    priority,
    condensable,
    author,
    round,
  };
}

const INSTRUCTIONS: PromptSection = {
  id: 'task',
  title: 'Task',
  kind: 'instructions',
  text: 'Weigh the bull and bear arguments and decide BUY, HOLD or SELL for SPX. Answer in at most 400 words.',
  priority: 100,
  condensable: false,
};

function researchManagerSections(): PromptSection[] {
  return [
    report('market_analyst', 60, MARKET_REPORT),
    report('fundamentals_analyst', 58, MARKET_REPORT.replace(/SPX/g, 'the index').replace('HOLD', 'BUY')),
    report('news_analyst', 55, MARKET_REPORT.replace('HOLD with a bullish tilt', 'SELL')),
    report('social_analyst', 50, MARKET_REPORT.replace('HOLD with a bullish tilt', 'HOLD')),
    turn('bull_researcher', 1, 30, true),
    turn('bear_researcher', 1, 30, true),
    turn('bull_researcher', 2, 85, false),
    turn('bear_researcher', 2, 85, false),
    INSTRUCTIONS,
  ];
}

function total(sections: readonly PromptSection[]): number {
  return estimateSectionsTokens(sections.map((section) => sectionTokens(section, counter)));
}

describe('fitSectionsToBudget', () => {
  test('changes nothing when the sections fit', () => {
    const sections = researchManagerSections();
    const fit = fitSectionsToBudget(sections, total(sections), counter);
    assert.deepEqual(fit.sections, sections);
    assert.ok(
      fit.actions.every((action) => action.action === 'kept' && action.finalTokens === action.originalTokens),
    );
    assert.equal(fit.fits, true);
  });

  test('condenses older turns and reports into digests, keeps instructions and the latest turns whole, and fits', () => {
    const sections = researchManagerSections();
    const budget = Math.floor(total(sections) * 0.6);
    const fit = fitSectionsToBudget(sections, budget, counter);
    assert.equal(fit.fits, true);
    assert.ok(
      fit.totalTokens <= budget && total(fit.sections) <= budget,
      `${total(fit.sections)} > ${budget}`,
    );
    const byId = new Map(fit.sections.map((section) => [section.id, section]));
    assert.deepEqual(byId.get('task'), INSTRUCTIONS);
    assert.deepEqual(byId.get('debate:bull_researcher:2'), sections[6]);
    assert.deepEqual(byId.get('debate:bear_researcher:2'), sections[7]);
    const market = byId.get('report:market_analyst');
    assert.ok(market, 'the market report is condensed, not dropped');
    assert.ok(market.title.endsWith(DIGEST_TITLE_SUFFIX));
    assert.match(market.text, /we rate SPX a HOLD with a bullish tilt\./);
    assert.match(market.text, /2874\.56/);
    assert.ok(fit.actions.some((action) => action.action === 'condensed'));
    for (const action of fit.actions) {
      const kept = fit.sections.find((section) => section.id === action.id);
      assert.equal(action.finalTokens, kept ? sectionTokens(kept, counter) : 0, action.id);
    }
    assert.deepEqual(fitSectionsToBudget(sections, budget, counter), fit, 'deterministic');
  });

  test('drops the lowest-priority condensable sections when digests are not enough', () => {
    const sections = researchManagerSections();
    const fixed = total([sections[6], sections[7], INSTRUCTIONS] as PromptSection[]);
    const budget = fixed + 200;
    const fit = fitSectionsToBudget(sections, budget, counter);
    assert.equal(fit.fits, true);
    assert.ok(total(fit.sections) <= budget);
    const dropped = fit.actions.filter((action) => action.action === 'dropped').map((action) => action.id);
    assert.ok(dropped.length > 0);
    // Older turns (priority 30) go before any report, and the social report (50) before the market report (60).
    assert.ok(
      dropped.includes('debate:bull_researcher:1') && dropped.includes('debate:bear_researcher:1'),
      dropped.join(),
    );
    if (dropped.includes('report:market_analyst')) assert.ok(dropped.includes('report:social_analyst'));
    assert.ok(fit.sections.some((section) => section.id === 'task'));
    assert.ok(fit.sections.some((section) => section.id === 'debate:bear_researcher:2'));
  });

  test('reports that it cannot fit when the protected sections alone exceed the budget', () => {
    const sections = researchManagerSections();
    const fit = fitSectionsToBudget(sections, sectionTokens(INSTRUCTIONS, counter), counter);
    assert.equal(fit.fits, false);
    assert.deepEqual(
      fit.sections.map((section) => section.id),
      ['debate:bull_researcher:2', 'debate:bear_researcher:2', 'task'],
    );
  });

  test('keeps each debater’s latest condensable turn until older material is gone', () => {
    const sections = [
      turn('bull_researcher', 1, 30, true),
      turn('bear_researcher', 1, 30, true),
      turn('bull_researcher', 2, 40, true),
      INSTRUCTIONS,
    ];
    const budget = total([sections[2], INSTRUCTIONS] as PromptSection[]) + 80;
    const fit = fitSectionsToBudget(sections, budget, counter);
    assert.equal(fit.fits, true);
    assert.deepEqual(
      fit.sections.find((section) => section.id === 'debate:bull_researcher:2'),
      sections[2],
      'the latest turn stays whole',
    );
    assert.equal(
      renderSection(INSTRUCTIONS),
      renderSection(fit.sections[fit.sections.length - 1] as PromptSection),
    );
  });
});

describe('digests keep the final stance', () => {
  test('the sentence with a report’s last stance word survives a tight digest', () => {
    const figures = Array.from(
      { length: 12 },
      (_, index) =>
        `On 2020-04-${String(index + 1).padStart(2, '0')} the index closed at ${2700 + index * 13.5} on volume ${3 + index}.1 billion.`,
    ).join(' ');
    const report = `Overall the tape looked bullish in March. ${figures} For now we would hold and wait for volume.`;
    const digest = condenseText(report, 30);
    assert.ok(digest.split(/\s+/).length < report.split(/\s+/).length / 2, 'the digest is much shorter');
    assert.equal(finalStance(report), 'hold');
    assert.equal(finalStance(digest), 'hold');
  });
});

describe('key-fact digest', () => {
  test('keeps every figure and the conclusion in far fewer words than the report', () => {
    const digest = selectKeyFactDigest(prepareDigest(MARKET_REPORT), 40);
    assert.deepEqual(lostFacts(MARKET_REPORT, digest), [], digest);
    assert.equal(finalStance(digest), finalStance(MARKET_REPORT));
    assert.ok(digest.startsWith(KEY_FIGURES_LABEL), digest);
    assert.ok(
      words(digest) < words(MARKET_REPORT) * 0.75,
      `${words(digest)} of ${words(MARKET_REPORT)} words`,
    );
    // A figure keeps the words that say what it is.
    assert.match(digest, /ATR\(14\) is 109\.88/);
    assert.match(digest, /so we rate SPX a HOLD with a bullish tilt\.$/);
  });

  test('a report within the target is sent as it is', () => {
    const short = 'SPX closed at 2874.56. We rate it a HOLD.';
    assert.equal(selectKeyFactDigest(prepareDigest(short), 40), short);
  });

  test('a figure in a heading or split by a clause break still reaches the digest', () => {
    const text = [
      '## Outlook for 2021-06-30',
      'Revenue was 1,250 million, and margins held at 31%, which is strong; the board met in Paris and London and Tokyo and Berlin and Rome to discuss growth plans for several long years ahead.',
      'We stay bullish.',
    ].join('\n');
    const digest = selectKeyFactDigest(prepareDigest(text), 5);
    assert.deepEqual(lostFacts(text, digest), [], digest);
    assert.equal(finalStance(digest), 'bullish');
  });
});
