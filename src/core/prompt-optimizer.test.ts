import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { lostFacts } from './fact-check';
import { optimizeDraft, renderDraft } from './prompt-optimizer';
import { createTiktokenCounter } from './token-counter';
import type { PromptDraft, PromptSection } from './types';

const counter = createTiktokenCounter('o200k_base');

const BARS = readFileSync(join(process.cwd(), 'node_modules/vega-datasets/data/sp500-2000.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(-30)
  .map((line) => line.split(','));

/** The market analyst's draft as the prompt builder writes it: a markdown price table, indicators, the task. */
function marketDraft(): PromptDraft {
  const table = [
    '| Date | Open | High | Low | Close | Volume |',
    '|---|---|---|---|---|---|',
    ...BARS.map(
      ([date, open, high, low, close, , volume]) =>
        `| ${date} | ${open} | ${high} | ${low} | ${close} | ${volume} |`,
    ),
  ].join('\n');
  const indicators = {
    sma_10: 2741.671,
    sma_50: 2863.0922,
    ema_12: 2735.8403,
    rsi_14: 57.2814,
    macd: 13.8347,
    macd_signal: -39.2624,
    atr_14: 109.8821,
    return_20: 0.1931,
    bollinger_upper: null,
  };
  return {
    agent: 'market_analyst',
    system:
      'You are the market analyst of a trading research team analysing SPX as of 2020-04-17.  \n\n\nBase every claim   on the material provided.',
    sections: [
      {
        id: 'prices',
        title: 'Daily prices, last 30 bars',
        kind: 'table',
        text: table,
        priority: 70,
        condensable: false,
      },
      {
        id: 'indicators',
        title: 'Indicators at 2020-04-17',
        kind: 'json',
        text: JSON.stringify(indicators, null, 2),
        priority: 70,
        condensable: false,
      },
      {
        id: 'task',
        title: 'Task',
        kind: 'instructions',
        text: 'Write the market report on SPX as of 2020-04-17, citing figures. Answer in at most 300 words.',
        priority: 100,
        condensable: false,
      },
    ],
  };
}

const NEWS = [
  '2020-04-17 | Reuters | Wall Street rallies as hopes for reopening economy build\nU.S. stocks jumped on Friday, with the S&P 500 closing up 2.68% at 2874.56. The rally was broad. GILD rose 9.7%.',
  '2020-04-17 | Yahoo Finance | Wall Street rallies as hopes for reopening economy build\nU.S. stocks jumped on Friday, with the S&P 500 closing up 2.68% at 2874.56. The rally was broad. GILD rose 9.7%.',
  '2020-04-16 | CNBC | Jobless claims top 5 million for a second straight week\nAnother 5.245 million Americans filed for unemployment benefits in the week ended April 11.',
  '2020-04-16 | MarketWatch | Jobless claims top 5 million for second straight week\nAnother 5.245 million Americans filed for unemployment benefits. The four-week total is about 22 million.',
  '2020-04-15 | Reuters | Retail sales plunge by record 8.7% in March\nU.S. retail sales fell 8.7% in March, the biggest drop since 1992.',
];

function newsDraft(): PromptDraft {
  const sections: PromptSection[] = NEWS.map((text, index) => ({
    id: `news:${index + 1}`,
    title: `News item ${index + 1}`,
    kind: 'news',
    text,
    priority: 70,
    condensable: false,
  }));
  sections.push({
    id: 'task',
    title: 'Task',
    kind: 'instructions',
    text: 'Write the news report on SPX as of 2020-04-17.',
    priority: 100,
    condensable: false,
  });
  return { agent: 'news_analyst', system: 'You are the news analyst.', sections };
}

const REPORT = [
  'SPX closed at 2874.56 on 2020-04-17, up 2.68% on the day and 31.2% above the 2237.40 close of 2020-03-23.',
  'Price is above the 10-day SMA of 2741.67 but below the 50-day SMA of 2863.09.',
  'Momentum has improved and many traders now expect the recovery to continue through the spring.',
  'RSI(14) is 57.28 and the MACD crossed above its signal line.',
  'Breadth has improved but remains narrower than in a healthy advance, and volumes are fading.',
  'Support sits at 2727 and 2500; resistance at 2900 and 3000.',
  'Overall we rate SPX a HOLD with a bullish tilt.',
].join(' ');

/** A trader-like downstream draft: four reports, two debate rounds, the plan and the task. */
function downstreamDraft(): PromptDraft {
  const reports: PromptSection[] = ['market', 'fundamentals', 'news', 'social'].map((name, index) => ({
    id: `report:${name}_analyst`,
    title: `${name} analyst report`,
    kind: 'report',
    text: `${REPORT} ${REPORT.replace('HOLD', index % 2 === 0 ? 'BUY' : 'SELL')}`,
    priority: 60 - index * 3,
    condensable: true,
    author: `${name}_analyst` as PromptSection['author'],
  }));
  const turns: PromptSection[] = [1, 2].flatMap((round) =>
    (['bull_researcher', 'bear_researcher'] as const).map((author) => ({
      id: `debate:${author}:${round}`,
      title: `${author}, round ${round}`,
      kind: 'debate-turn' as const,
      text: `${author} round ${round}: ${REPORT}`,
      priority: round === 2 ? 85 : 30,
      condensable: round === 1,
      author,
      round,
    })),
  );
  return {
    agent: 'trader',
    system: 'You are the trader.',
    sections: [
      ...reports,
      ...turns,
      {
        id: 'investment-plan',
        title: 'Investment plan',
        kind: 'plan',
        text: 'HOLD SPX; add above 2900 with a stop at 2727.',
        priority: 80,
        condensable: false,
      },
      {
        id: 'task',
        title: 'Task',
        kind: 'instructions',
        text: 'Turn the plan into a trading plan. Answer in at most 150 words.',
        priority: 100,
        condensable: false,
      },
    ],
  };
}

describe('renderDraft', () => {
  test('renders the system message and one user message of titled sections separated by blank lines', () => {
    const draft: PromptDraft = {
      agent: 'trader',
      system: 'System text.',
      sections: [
        { id: 'a', title: 'First', kind: 'text', text: 'one', priority: 1, condensable: true },
        { id: 'b', title: 'Second', kind: 'text', text: 'two', priority: 1, condensable: true },
      ],
    };
    assert.deepEqual(renderDraft(draft), [
      { role: 'system', content: 'System text.' },
      { role: 'user', content: '## First\none\n\n## Second\ntwo' },
    ]);
  });
});

describe('optimizeDraft in baseline mode', () => {
  test('sends the draft exactly as rendered and only counts it, even over a context budget', () => {
    const draft = downstreamDraft();
    const result = optimizeDraft(draft, { counter, mode: 'baseline', contextBudgetTokens: 100 });
    assert.deepEqual(result.messages, renderDraft(draft));
    assert.equal(result.promptTokens, counter.countMessages(renderDraft(draft)));
    assert.equal(result.originalPromptTokens, result.promptTokens);
    assert.ok(
      result.sections.every(
        (section) => section.action === 'kept' && section.finalTokens === section.originalTokens,
      ),
    );
    assert.equal(result.trimmed, false);
    assert.equal(result.fitsContextBudget, false);
    assert.deepEqual(result.lostFacts, []);
  });
});

describe('optimizeDraft in optimized mode', () => {
  test('compresses the market analyst’s data losslessly and counts the result exactly', () => {
    const draft = marketDraft();
    const result = optimizeDraft(draft, { counter, mode: 'optimized' });
    assert.deepEqual(result.lostFacts, []);
    const originalUser = renderDraft(draft)[1]?.content ?? '';
    const user = result.messages[1]?.content ?? '';
    assert.deepEqual(lostFacts(originalUser, user), [], 'no fact of the user message is lost');
    assert.equal(result.promptTokens, counter.countMessages(result.messages));
    assert.ok(
      result.promptTokens < result.originalPromptTokens * 0.85,
      `${result.promptTokens} vs ${result.originalPromptTokens}`,
    );
    assert.deepEqual(
      result.sections.map((section) => [section.id, section.action]),
      [
        ['prices', 'compressed'],
        ['indicators', 'compressed'],
        ['task', 'kept'],
      ],
    );
    assert.equal(
      result.messages[0]?.content,
      'You are the market analyst of a trading research team analysing SPX as of 2020-04-17.\n\nBase every claim on the material provided.',
    );
    assert.match(user, /^## Daily prices, last 30 bars\nDate,Open,High,Low,Close,Volume\n2020-03-06,/);
  });

  test('removes repeated news items across sections and keeps every fact of the group', () => {
    const draft = newsDraft();
    const result = optimizeDraft(draft, { counter, mode: 'optimized' });
    assert.deepEqual(result.lostFacts, []);
    const user = result.messages[1]?.content ?? '';
    // Section texts, not whole messages: the heading `## News item 2` itself goes with its section.
    const sourceTexts = draft.sections.map((section) => section.text).join('\n\n');
    assert.deepEqual(lostFacts(sourceTexts, user), []);
    assert.ok(!user.includes('## News item 2'), 'the syndicated copy is gone');
    assert.ok(user.includes('The four-week total is about 22 million.'), 'the repeat’s new fact stays');
    const second = result.sections.find((section) => section.id === 'news:2');
    assert.deepEqual(second && { action: second.action, finalTokens: second.finalTokens }, {
      action: 'compressed',
      finalTokens: 0,
    });
  });

  test('falls back to the original section where compression would change a fact', () => {
    const draft = marketDraft();
    // Collapsing the two spaces would turn the number 5 into the percentage 5%: the check refuses that.
    const risky: PromptSection = {
      id: 'note',
      title: 'Analyst note',
      kind: 'text',
      text: 'Earnings  growth was 5  % in the quarter.',
      priority: 50,
      condensable: false,
    };
    draft.sections.splice(2, 0, risky);
    const result = optimizeDraft(draft, { counter, mode: 'optimized' });
    assert.equal(result.sections.find((section) => section.id === 'note')?.action, 'fallback');
    assert.ok(
      result.messages[1]?.content.includes('## Analyst note\nEarnings  growth was 5  % in the quarter.'),
    );
    assert.deepEqual(result.lostFacts, []);
  });

  test('fits a downstream prompt into its context budget, keeping the task and the latest turns whole', () => {
    const draft = downstreamDraft();
    const full = optimizeDraft(draft, { counter, mode: 'optimized' });
    const budget = Math.floor(full.promptTokens * 0.55);
    const result = optimizeDraft(draft, { counter, mode: 'optimized', contextBudgetTokens: budget });
    assert.ok(result.promptTokens <= budget, `${result.promptTokens} > ${budget}`);
    assert.equal(result.promptTokens, counter.countMessages(result.messages));
    assert.equal(result.fitsContextBudget, true);
    assert.equal(result.trimmed, true);
    assert.deepEqual(result.lostFacts, [], 'condensing is reported in sections, not as lost facts');
    const user = result.messages[1]?.content ?? '';
    for (const id of ['task', 'investment-plan', 'debate:bull_researcher:2', 'debate:bear_researcher:2']) {
      const section = draft.sections.find((candidate) => candidate.id === id) as PromptSection;
      assert.ok(user.includes(`## ${section.title}\n${section.text}`), `${id} is not whole`);
    }
    const actions = new Map(result.sections.map((section) => [section.id, section.action]));
    assert.ok(
      ['condensed', 'dropped'].includes(actions.get('report:social_analyst') ?? ''),
      'the lowest-priority report was trimmed',
    );
    assert.equal(actions.get('task'), 'kept');
    assert.deepEqual(
      optimizeDraft(draft, { counter, mode: 'optimized', contextBudgetTokens: budget }),
      result,
    );
  });
});

describe('compression keeps a report’s conclusion', () => {
  test('a report whose repeat removal would end it on another stance is sent uncompressed', () => {
    const repeated =
      'The report is based on the data from the SPX, which has been used to measure the performance of the market and stays bearish.';
    const text = `${repeated}\nSentiment on social media turned bullish over the last week of trading.\n${repeated}`;
    const draft: PromptDraft = {
      agent: 'research_manager',
      system: 'You are the research manager.',
      sections: [
        {
          id: 'report:social_analyst',
          title: 'Social Analyst report',
          kind: 'report',
          text,
          priority: 50,
          condensable: true,
        },
        {
          id: 'task',
          title: 'Task',
          kind: 'instructions',
          text: 'Write the investment plan.',
          priority: 100,
          condensable: false,
        },
      ],
    };
    const result = optimizeDraft(draft, { counter: createTiktokenCounter('o200k_base'), mode: 'optimized' });
    assert.equal(result.sections[0]?.action, 'fallback');
    assert.match(result.messages[1]?.content ?? '', /trading\.\nThe report is based/);
  });
});

describe('what a downstream role reads', () => {
  const report = [
    '## Task',
    'Write the market report.',
    '###',
    'SPX closed at 2874.56 on 2020-04-17, up 2.68% on the day and 31.2% above the 2237.40 close of 2020-03-23.',
    'Momentum indicators agree with the recovery narrative that traders have been discussing for weeks now.',
    'Volatility remains elevated by historical standards and intraday swings are still wide on most days.',
    'Many participants remain sceptical of the rally and positioning is light across the big funds.',
    'Support sits at 2727 and then at 2500; resistance at 2900 and the 3000 round number.',
    'Overall we rate SPX a HOLD with a bullish tilt.',
  ].join('\n');
  const draft = (digestWords?: number): PromptDraft => ({
    agent: 'trader',
    system: 'You are the trader.',
    sections: [
      {
        id: 'report:market_analyst',
        title: 'Market Analyst report',
        kind: 'report',
        text: report,
        priority: 60,
        condensable: true,
        ...(digestWords !== undefined ? { digestWords } : {}),
      },
      {
        id: 'task',
        title: 'Task',
        kind: 'instructions',
        text: 'Write the trading plan.',
        priority: 100,
        condensable: false,
      },
    ],
  });

  test('a report with a digest target goes as its key-fact digest, budget or not', () => {
    const counter = createTiktokenCounter('o200k_base');
    const whole = optimizeDraft(draft(), { counter, mode: 'optimized' });
    const digested = optimizeDraft(draft(30), { counter, mode: 'optimized' });
    assert.equal(whole.sections[0]?.action, 'compressed');
    assert.equal(digested.sections[0]?.action, 'condensed');
    assert.equal(digested.trimmed, true);
    const user = digested.messages[1]?.content ?? '';
    assert.match(user, /^## Market Analyst report \(digest\)\nKey figures: /);
    assert.deepEqual(lostFacts(report, user), [], 'every figure of the report reaches the prompt');
    assert.match(user, /we rate SPX a HOLD with a bullish tilt\.\n\n## Task\nWrite the trading plan\.$/);
    assert.ok(
      digested.promptTokens < whole.promptTokens * 0.8,
      `${digested.promptTokens} vs ${whole.promptTokens}`,
    );
  });

  test("a quoted answer's own headings and markup lines do not reach the prompt", () => {
    const result = optimizeDraft(draft(), {
      counter: createTiktokenCounter('o200k_base'),
      mode: 'optimized',
    });
    const user = result.messages[1]?.content ?? '';
    assert.equal(user.match(/^## Task$/gm)?.length, 1, "only the prompt's own Task heading");
    assert.ok(!/^#+$/m.test(user), user);
    assert.match(user, /^## Market Analyst report\nTask\nWrite the market report\.\nSPX closed/);
  });
});
