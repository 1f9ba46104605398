import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enhanceDraft } from '../core/prompt-enhancer';
import { optimizeDraft } from '../core/prompt-optimizer';
import { buildPromptDraft, type PromptOptions } from '../core/prompts';
import { sharedTiktokenCounter } from '../core/token-counter';
import type { AgentContext, ChatMessage, DebateTurn, PromptDraft } from '../core/types';
import { AGENT_DEFAULTS, agentsOfStage, type AgentName } from './index';
import { ROLE_SECTION_ID, teamPreamble } from './prompt-layout';

/** A report long enough to be digested at 50 words, with figures the digest must keep. */
function report(name: string, figures: readonly number[]): string {
  const sentences = figures.map(
    (figure, index) =>
      `${name} observation ${index + 1}: the measure stood at ${figure.toFixed(2)} on the session, which matters for the position.`,
  );
  return `${sentences.join(' ')}\nOverall the ${name} view is bullish and we recommend HOLD for now.`;
}

function turn(agent: AgentName, text: string): DebateTurn {
  return { agent, round: 1, text: `${text} The outlook is bullish given 2734.43 support.` };
}

const context: AgentContext = {
  ticker: 'SPX',
  date: '2020-04-17',
  reports: {
    market_analyst: report('market', [2734.43, 2851.85, 61.2, 2779.9]),
    news_analyst: report('news', [1.2, 3.4, 5.6]),
    social_analyst: report('social', [62.5, 37.5]),
    fundamentals_analyst: report('fundamentals', [24.1, 0.08, 1250]),
  },
  researchDebate: [turn('bull_researcher', 'BULL-ONE.'), turn('bear_researcher', 'BEAR-ONE.')],
  investmentPlan: 'INVESTMENT-PLAN: HOLD with a moderate position near 2779.9.',
  traderPlan: 'TRADER-PLAN: HOLD, entry 2779.9, stop 2650, target 2950.',
  riskDebate: [
    turn('aggressive_debater', 'AGGRESSIVE-ONE.'),
    turn('conservative_debater', 'CONSERVATIVE-ONE.'),
    turn('neutral_debater', 'NEUTRAL-ONE.'),
  ],
};

const downstream: AgentName[] = [
  ...agentsOfStage('research-debate'),
  ...agentsOfStage('research-manager'),
  ...agentsOfStage('trader'),
  ...agentsOfStage('risk-debate'),
  ...agentsOfStage('risk-manager'),
];

/** The messages the pipeline sends the agent: drafted, enhanced with its word limit, then optimized. */
function messagesOf(agent: AgentName, options: Partial<PromptOptions> = {}): ChatMessage[] {
  const draft = buildPromptDraft(agent, context, {
    mode: 'optimized',
    round: 1,
    totalRounds: 1,
    digestWords: 50,
    ...options,
  });
  const enhanced = enhanceDraft(draft, AGENT_DEFAULTS[agent].wordLimit);
  return optimizeDraft(enhanced, { counter: sharedTiktokenCounter('o200k_base'), mode: 'optimized' })
    .messages;
}

/** The serialized prompt a server reads: every message's role and content in order. */
function serialized(messages: readonly ChatMessage[]): string {
  return messages.map((message) => `<${message.role}>${message.content}`).join('');
}

function commonPrefix(texts: readonly string[]): string {
  let prefix = texts[0] ?? '';
  for (const text of texts) {
    while (!text.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

describe('shared-prefix layout', () => {
  test('every downstream prompt opens with the same preamble and report digests, byte for byte', () => {
    const prompts = downstream.map((agent) => serialized(messagesOf(agent)));
    const shared = commonPrefix(prompts);
    assert.ok(shared.startsWith(`<system>${teamPreamble(context)}<user>`), shared.slice(0, 200));
    // The digests of all four reports are in the shared part, and nothing of any agent's own.
    for (const title of ['Market', 'News', 'Social', 'Fundamentals'])
      assert.ok(shared.includes(`## ${title} Analyst report`), title);
    assert.ok(shared.includes('## Market Analyst report (digest)'), 'a long report goes as its digest');
    assert.ok(shared.includes('2734.43') && shared.includes('1250'), 'the digests keep their figures');
    for (const agent of downstream) assert.equal(shared.includes(agent.replace('_', ' ')), false, agent);
    assert.ok(shared.length > prompts.reduce((sum, prompt) => sum + prompt.length, 0) / prompts.length / 3);
  });

  test('in the role-first layout the prompts part after the role name (what the layout fixes)', () => {
    const prompts = downstream.map((agent) => serialized(messagesOf(agent, { layout: 'role-first' })));
    assert.ok(commonPrefix(prompts).length < 60, commonPrefix(prompts));
  });

  test('a later prompt extends the one before it: shared parts in stage order, role and task last', () => {
    const conservative = serialized(messagesOf('conservative_debater'));
    const neutral = serialized(messagesOf('neutral_debater'));
    const riskManager = serialized(messagesOf('risk_manager'));
    const upToOwnPart = (prompt: string) => prompt.slice(0, prompt.indexOf('## Your role'));
    // The neutral debater reads what the conservative one read, then the conservative's turn.
    assert.ok(neutral.startsWith(upToOwnPart(conservative)));
    assert.ok(commonPrefix([neutral, riskManager]).includes('CONSERVATIVE-ONE'));

    const draft = buildPromptDraft('risk_manager', context, { mode: 'optimized', round: 1, totalRounds: 1 });
    assert.deepEqual(
      draft.sections.map((section) => section.id),
      [
        'report:market_analyst',
        'report:news_analyst',
        'report:social_analyst',
        'report:fundamentals_analyst',
        'trader-plan',
        'debate:aggressive_debater:1',
        'debate:conservative_debater:1',
        'debate:neutral_debater:1',
        'investment-plan',
        ROLE_SECTION_ID,
        'task',
      ],
    );
  });

  test('the word limit goes into the role section, so the system text stays the shared preamble', () => {
    const draft = buildPromptDraft('trader', context, { mode: 'optimized', round: 1, totalRounds: 1 });
    const enhanced = enhanceDraft(enhanceDraft(draft, 150), 120);
    assert.equal(enhanced.system, teamPreamble(context));
    const role = enhanced.sections.find((section) => section.id === ROLE_SECTION_ID);
    assert.match(role?.text ?? '', /^You are the trader of this team\./);
    assert.equal(role?.text.match(/at most \d+ words/g)?.join(), 'at most 120 words');
    assert.match(enhanced.sections.at(-1)?.text ?? '', /at most 120 words/);
  });

  test('baseline keeps the origin layout: the role in the system prompt, the task last', () => {
    const draft: PromptDraft = buildPromptDraft('trader', context, {
      mode: 'baseline',
      round: 1,
      totalRounds: 1,
    });
    assert.match(
      draft.system,
      /^You are the trader of a trading research team analysing SPX as of 2020-04-17\./,
    );
    assert.equal(
      draft.sections.some((section) => section.id === ROLE_SECTION_ID),
      false,
    );
    assert.equal(draft.sections.at(-1)?.id, 'task');
  });
});
