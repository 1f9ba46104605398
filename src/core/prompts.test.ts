import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_NAMES, type AgentName } from './agents';
import { DECISION_FORMAT_INSTRUCTIONS } from './decision';
import { PRICE_TABLE_BARS, buildPromptDraft, type PromptOptions } from './prompts';
import type { AgentContext, AnalysisInputs, PriceBar, PromptDraft } from './types';

function bars(count: number): PriceBar[] {
  return Array.from({ length: count }, (_, index) => {
    const day = new Date(Date.UTC(2020, 0, 1 + index)).toISOString().slice(0, 10);
    return {
      date: day,
      open: 100 + index,
      high: 101.5 + index,
      low: 99.25 + index,
      close: 100.5 + index,
      volume: 1000 + index,
    };
  });
}

const inputs: AnalysisInputs = {
  ticker: 'SPX',
  date: '2020-02-09',
  sourceLabel: 'bundled sample (vega-datasets sp500-2000.csv)',
  isSample: true,
  prices: bars(40),
  indicators: { sma20: 129.3, rsi14: 61.2, sma200: null },
  news: [
    {
      date: '2020-02-07',
      source: 'Wire',
      headline: 'Index hits record',
      body: 'Stocks rallied 1.2% on earnings.',
    },
  ],
  social: [{ date: '2020-02-08', platform: 'forum', author: 'trader42', text: 'Looks overbought to me.' }],
  fundamentals: { period: '2019-Q4', currency: 'USD', metrics: { peRatio: 24.1, epsGrowth: 0.08 } },
};

const reports = {
  market_analyst: 'MARKET-REPORT: uptrend, close 139.5 above the 20-day average.',
  news_analyst: 'NEWS-REPORT: record highs on earnings.',
  social_analyst: 'SOCIAL-REPORT: sentiment mixed, some call it overbought.',
  fundamentals_analyst: 'FUNDAMENTALS-REPORT: P/E 24.1 is rich but growth is 8%.',
};

const researchDebate = [
  { agent: 'bull_researcher' as const, round: 1, text: 'BULL-ONE: momentum and earnings support buying.' },
  { agent: 'bear_researcher' as const, round: 1, text: 'BEAR-ONE: valuation is stretched at 24x.' },
];

const riskDebate = [
  { agent: 'aggressive_debater' as const, round: 1, text: 'AGGRESSIVE-ONE: size up, the trend is strong.' },
  { agent: 'conservative_debater' as const, round: 1, text: 'CONSERVATIVE-ONE: keep the stop tight at 132.' },
];

const fullContext: AgentContext = {
  ticker: 'SPX',
  date: '2020-02-09',
  inputs,
  reports,
  researchDebate,
  investmentPlan: 'INVESTMENT-PLAN: BUY with a moderate position.',
  traderPlan: 'TRADER-PLAN: BUY at 139.5, stop 132, target 150.',
  riskDebate,
};

const optimized: PromptOptions = { mode: 'optimized', round: 1, totalRounds: 1 };
const baseline: PromptOptions = { mode: 'baseline', round: 1, totalRounds: 1 };

function userText(draft: PromptDraft): string {
  return draft.sections.map((section) => `${section.title}\n${section.text}`).join('\n\n');
}

function section(draft: PromptDraft, id: string) {
  const found = draft.sections.find((candidate) => candidate.id === id);
  assert.ok(found, `section ${id} in ${draft.sections.map((candidate) => candidate.id).join(', ')}`);
  return found;
}

describe('analyst prompts', () => {
  test('the market analyst reads the last 30 bars as a markdown table and the indicators as JSON', () => {
    const draft = buildPromptDraft('market_analyst', fullContext, optimized);
    const prices = section(draft, 'prices');
    assert.equal(prices.kind, 'table');
    assert.equal(prices.priority, 70);
    const rows = prices.text.split('\n');
    assert.equal(rows[0], '| Date | Open | High | Low | Close | Volume |');
    assert.equal(rows.length, PRICE_TABLE_BARS + 2);
    assert.equal(rows[2], '| 2020-01-11 | 110 | 111.5 | 109.25 | 110.5 | 1010 |');
    assert.equal(rows.at(-1), '| 2020-02-09 | 139 | 140.5 | 138.25 | 139.5 | 1039 |');
    const indicators = section(draft, 'indicators');
    assert.equal(indicators.kind, 'json');
    assert.deepEqual(JSON.parse(indicators.text), { sma20: 129.3, rsi14: 61.2, sma200: null });
    assert.equal(draft.sections.at(-1)?.id, 'task');
    assert.equal(draft.wordLimit, undefined);
  });

  test('news, social and fundamentals analysts read their own inputs', () => {
    const news = buildPromptDraft('news_analyst', fullContext, optimized);
    assert.equal(section(news, 'news:1').kind, 'news');
    assert.match(
      section(news, 'news:1').text,
      /2020-02-07 \| Wire \| Index hits record\nStocks rallied 1\.2%/,
    );
    const social = buildPromptDraft('social_analyst', fullContext, optimized);
    assert.equal(section(social, 'social:1').kind, 'social');
    assert.match(section(social, 'social:1').text, /trader42: Looks overbought/);
    const fundamentals = buildPromptDraft('fundamentals_analyst', fullContext, optimized);
    assert.equal(section(fundamentals, 'fundamentals').kind, 'json');
    assert.equal(JSON.parse(section(fundamentals, 'fundamentals').text).metrics.peRatio, 24.1);
  });

  test('sample data is labelled as such in the task', () => {
    const draft = buildPromptDraft('news_analyst', fullContext, optimized);
    assert.match(
      section(draft, 'task').text,
      /bundled sample \(vega-datasets sp500-2000\.csv\) \(sample data, not live/,
    );
  });

  test('an empty news window is reported, not an error', () => {
    const draft = buildPromptDraft(
      'news_analyst',
      { ...fullContext, inputs: { ...inputs, news: [] } },
      optimized,
    );
    assert.match(section(draft, 'news:none').text, /No news items were found for SPX up to 2020-02-09/);
  });

  test('analysts do not read other agents’ work', () => {
    const draft = buildPromptDraft('market_analyst', fullContext, baseline);
    assert.equal(userText(draft).includes('NEWS-REPORT'), false);
    assert.equal(userText(draft).includes('BULL-ONE'), false);
  });
});

describe('system prompts', () => {
  test('every role gets a short system prompt naming ticker and date', () => {
    for (const agent of AGENT_NAMES) {
      const draft = buildPromptDraft(agent, fullContext, optimized);
      assert.equal(draft.agent, agent);
      assert.ok(draft.system.includes('SPX') && draft.system.includes('2020-02-09'), agent);
      assert.ok(draft.system.length < 400, `${agent}: ${draft.system.length} characters`);
      const ids = draft.sections.map((candidate) => candidate.id);
      assert.equal(new Set(ids).size, ids.length, `${agent} has duplicate section ids`);
    }
  });
});

describe('baseline versus optimized context', () => {
  test('the baseline trader reads all four reports, the whole research debate and its plan', () => {
    const text = userText(buildPromptDraft('trader', fullContext, baseline));
    for (const report of Object.values(reports)) assert.ok(text.includes(report), report);
    assert.ok(text.includes('BULL-ONE') && text.includes('BEAR-ONE'));
    assert.ok(text.includes('INVESTMENT-PLAN'));
  });

  test('the optimized trader reads its plan and the reports, not the research debate', () => {
    const draft = buildPromptDraft('trader', fullContext, optimized);
    const text = userText(draft);
    assert.ok(text.includes('INVESTMENT-PLAN'));
    assert.ok(text.includes('MARKET-REPORT'));
    assert.equal(text.includes('BULL-ONE'), false);
    assert.equal(text.includes('BEAR-ONE'), false);
    assert.equal(text.includes('AGGRESSIVE-ONE'), false);
    const plan = section(draft, 'investment-plan');
    assert.deepEqual([plan.kind, plan.priority, plan.condensable], ['plan', 80, false]);
    const report = section(draft, 'report:market_analyst');
    assert.equal(report.condensable, true);
    assert.ok(report.priority >= 50 && report.priority <= 60);
    assert.equal(section(draft, 'task').priority, 100);
  });

  test('baseline sends every downstream agent all reports and both debates; optimized sends less', () => {
    const downstream: AgentName[] = [
      'bull_researcher',
      'bear_researcher',
      'research_manager',
      'trader',
      'aggressive_debater',
      'conservative_debater',
      'neutral_debater',
      'risk_manager',
    ];
    for (const agent of downstream) {
      const full = userText(buildPromptDraft(agent, fullContext, baseline));
      for (const marker of [
        'MARKET-REPORT',
        'NEWS-REPORT',
        'SOCIAL-REPORT',
        'FUNDAMENTALS-REPORT',
        'BULL-ONE',
        'BEAR-ONE',
        'AGGRESSIVE-ONE',
        'CONSERVATIVE-ONE',
      ]) {
        assert.ok(full.includes(marker), `${agent} baseline lacks ${marker}`);
      }
      // Whole prompts: in optimized mode the role moves from the system text into the user message.
      const whole = (draft: PromptDraft) => `${draft.system}\n\n${userText(draft)}`;
      const lean = whole(buildPromptDraft(agent, fullContext, optimized));
      const origin = whole(buildPromptDraft(agent, fullContext, baseline));
      assert.ok(
        lean.length < origin.length,
        `${agent}: optimized ${lean.length} >= baseline ${origin.length}`,
      );
    }
  });

  test('baseline sections are sent in full (nothing condensable)', () => {
    const draft = buildPromptDraft('risk_manager', fullContext, baseline);
    assert.deepEqual(
      draft.sections.filter((candidate) => candidate.condensable).map((candidate) => candidate.id),
      [],
    );
  });

  test('optimized risk debaters read the trader plan, the reports and their own debate only', () => {
    const draft = buildPromptDraft('neutral_debater', fullContext, optimized);
    const text = userText(draft);
    assert.ok(
      text.includes('TRADER-PLAN') && text.includes('AGGRESSIVE-ONE') && text.includes('FUNDAMENTALS-REPORT'),
    );
    assert.equal(text.includes('BULL-ONE'), false);
    assert.equal(text.includes('INVESTMENT-PLAN'), false);
    assert.match(section(draft, 'task').text, /aggressive debater and the conservative debater/);
  });

  test('the optimized risk manager reads both plans, the risk debate and the reports, and asks for the decision format', () => {
    const draft = buildPromptDraft('risk_manager', fullContext, optimized);
    const text = userText(draft);
    for (const marker of [
      'TRADER-PLAN',
      'INVESTMENT-PLAN',
      'AGGRESSIVE-ONE',
      'CONSERVATIVE-ONE',
      'SOCIAL-REPORT',
    ]) {
      assert.ok(text.includes(marker), marker);
    }
    assert.equal(text.includes('BULL-ONE'), false);
    assert.ok(section(draft, 'task').text.includes(DECISION_FORMAT_INSTRUCTIONS));
    assert.equal(section(draft, 'debate:conservative_debater:1').priority, 85);
  });
});

describe('debates', () => {
  const twoRounds: AgentContext = {
    ...fullContext,
    researchDebate: [
      ...researchDebate,
      { agent: 'bull_researcher', round: 2, text: 'BULL-TWO: valuation is justified by growth.' },
    ],
  };

  test('a researcher answers the other side’s latest turn; older turns are condensable and lower', () => {
    const draft = buildPromptDraft('bear_researcher', twoRounds, {
      mode: 'optimized',
      round: 2,
      totalRounds: 2,
    });
    const latestBull = section(draft, 'debate:bull_researcher:2');
    assert.deepEqual(
      [latestBull.kind, latestBull.priority, latestBull.condensable, latestBull.author, latestBull.round],
      ['debate-turn', 90, false, 'bull_researcher', 2],
    );
    const olderBull = section(draft, 'debate:bull_researcher:1');
    assert.deepEqual([olderBull.priority, olderBull.condensable], [30, true]);
    const ownTurn = section(draft, 'debate:bear_researcher:1');
    assert.deepEqual([ownTurn.priority, ownTurn.condensable], [40, true]);
    const task = section(draft, 'task').text;
    assert.match(task, /Rebut the bull researcher's latest argument \(round 2\)/);
    assert.match(task, /round 2 of 2\. It is the last round/);
  });

  test('with a digest target, reports and older turns carry it; the turns to answer and baseline do not', () => {
    const draft = buildPromptDraft('bear_researcher', twoRounds, {
      mode: 'optimized',
      round: 2,
      totalRounds: 2,
      digestWords: 50,
    });
    assert.equal(section(draft, 'report:market_analyst').digestWords, 50);
    assert.equal(section(draft, 'debate:bull_researcher:1').digestWords, 50);
    assert.equal(section(draft, 'debate:bear_researcher:1').digestWords, 50);
    assert.equal(section(draft, 'debate:bull_researcher:2').digestWords, undefined);
    const judge = buildPromptDraft('research_manager', twoRounds, { ...optimized, digestWords: 50 });
    assert.equal(
      section(judge, 'debate:bull_researcher:2').digestWords,
      undefined,
      'closing turns stay whole',
    );
    const origin = buildPromptDraft('research_manager', twoRounds, { ...baseline, digestWords: 50 });
    assert.ok(origin.sections.every((candidate) => candidate.digestWords === undefined));
  });

  test('the first bull turn opens the debate', () => {
    const draft = buildPromptDraft('bull_researcher', { ...fullContext, researchDebate: [] }, optimized);
    assert.match(section(draft, 'task').text, /^Open the debate/);
    assert.equal(
      draft.sections.some((candidate) => candidate.kind === 'debate-turn'),
      false,
    );
  });

  test('a research manager judges even without a debate', () => {
    const draft = buildPromptDraft('research_manager', { ...fullContext, researchDebate: [] }, optimized);
    assert.match(section(draft, 'task').text, /There was no debate/);
  });
});

describe('missing inputs', () => {
  const bare: AgentContext = { ticker: 'SPX', date: '2020-02-09' };

  test('each role names what it is missing in one sentence', () => {
    assert.throws(() => buildPromptDraft('market_analyst', bare, optimized), {
      message:
        'The market analyst prompt for SPX on 2020-02-09 needs the analysis inputs; load the market data first.',
    });
    assert.throws(
      () => buildPromptDraft('market_analyst', { ...bare, inputs: { ...inputs, prices: [] } }, optimized),
      /has no price bars/,
    );
    assert.throws(
      () => buildPromptDraft('bull_researcher', bare, optimized),
      /needs at least one analyst report/,
    );
    assert.throws(
      () => buildPromptDraft('trader', { ...bare, reports }, optimized),
      /needs the research manager's investment plan/,
    );
    assert.throws(
      () => buildPromptDraft('aggressive_debater', { ...bare, reports }, optimized),
      /needs the trader's plan/,
    );
    assert.throws(
      () => buildPromptDraft('risk_manager', { ...bare, reports, traderPlan: 'plan' }, optimized),
      /needs the research manager's investment plan/,
    );
  });

  test('a debate round outside 1..totalRounds is refused', () => {
    assert.throws(
      () => buildPromptDraft('bull_researcher', fullContext, { mode: 'optimized', round: 3, totalRounds: 2 }),
      /got round 3 of 2/,
    );
  });

  test('a blank report does not count as a report', () => {
    const draft = buildPromptDraft(
      'trader',
      { ...fullContext, reports: { market_analyst: 'M', news_analyst: '  ' } },
      optimized,
    );
    assert.deepEqual(
      draft.sections.filter((candidate) => candidate.kind === 'report').map((candidate) => candidate.id),
      ['report:market_analyst'],
    );
  });
});
