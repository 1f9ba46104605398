import {
  ANALYST_AGENTS,
  RESEARCH_AGENTS,
  RISK_DEBATER_AGENTS,
  agentLabel,
  type AgentName,
  type AnalystAgent,
} from './agents';
import { DECISION_FORMAT_INSTRUCTIONS } from './decision';
import type {
  AgentContext,
  AnalysisInputs,
  DebateTurn,
  PipelineMode,
  PriceBar,
  PromptDraft,
  PromptSection,
} from './types';

/**
 * Builds each agent's prompt as sections, TradingAgents-style. In `baseline` mode every downstream agent
 * receives all analyst reports and both debates in full, as the origin project did (the cause of its 218K
 * tokens per run). In `optimized` mode each role receives what its role needs, with reports and older debate
 * turns marked condensable so the context manager may replace them by digests.
 */

export interface PromptOptions {
  mode: PipelineMode;
  /**
   * Optimized mode: words a downstream agent reads of each analyst report and older debate turn (their
   * key-fact digest, see `selectKeyFactDigest`); undefined or 0 sends them whole.
   */
  digestWords?: number;
  /** The current round (1-based) for debaters; other agents pass 1. */
  round: number;
  totalRounds: number;
}

/** What the section builders need of the prompt options. */
type SectionOptions = Pick<PromptOptions, 'mode' | 'digestWords'>;

/** Bars of the market analyst's price table. */
export const PRICE_TABLE_BARS = 30;

/** Section priorities: higher survives longer when a prompt must be trimmed. */
export const SECTION_PRIORITY = {
  instructions: 100,
  latestOpposingTurn: 90,
  /** The last turn of each side, for the manager who judges the debate. */
  closingTurn: 85,
  plan: 80,
  analystData: 70,
  ownLatestTurn: 40,
  olderTurn: 30,
} as const;

/**
 * Report priorities for downstream agents: the market report carries the price levels that plans and stops
 * refer to, fundamentals carry valuation, social sentiment is the noisiest input.
 */
const REPORT_PRIORITY: Record<AnalystAgent, number> = {
  market_analyst: 60,
  fundamentals_analyst: 58,
  news_analyst: 55,
  social_analyst: 50,
};

const ROLE_SUMMARY: Record<AgentName, string> = {
  market_analyst:
    'You read price history and technical indicators and report trend, momentum, volatility and key price levels.',
  news_analyst: 'You read recent news and report what could move the stock, and in which direction.',
  social_analyst: "You read social media posts and report the crowd's sentiment and what drives it.",
  fundamentals_analyst:
    'You read financial figures and report on valuation, growth, profitability and balance-sheet strength.',
  bull_researcher:
    'You argue the case for investing, with evidence from the analyst reports, and rebut the bear researcher.',
  bear_researcher:
    'You argue the case against investing, with evidence from the analyst reports, and rebut the bull researcher.',
  research_manager:
    'You judge the bull/bear debate and write the investment plan: BUY, HOLD or SELL, why, and how to act.',
  trader:
    'You turn the investment plan into a trading plan: action, entry, stop-loss, target and size where the evidence supports them.',
  aggressive_debater:
    "You argue for the high-reward path in the risk review of the trader's plan and challenge excessive caution.",
  conservative_debater:
    "You argue for protecting capital in the risk review of the trader's plan and point out what could go wrong.",
  neutral_debater:
    "You weigh reward against risk in the risk review of the trader's plan and challenge both extremes.",
  risk_manager:
    'You judge the risk debate and make the final decision: BUY, HOLD or SELL, with a confidence and a rationale.',
};

/** Short role-specific system prompt naming the ticker and date; it never holds configuration or secrets. */
function systemPrompt(agent: AgentName, context: AgentContext): string {
  return `You are the ${agentLabel(agent).toLowerCase()} of a trading research team analysing ${context.ticker} as of ${context.date}. ${ROLE_SUMMARY[agent]} Base every claim on the material provided and never invent figures.`;
}

function fail(agent: AgentName, context: AgentContext, what: string): never {
  throw new Error(
    `The ${agentLabel(agent).toLowerCase()} prompt for ${context.ticker} on ${context.date} ${what}.`,
  );
}

function instructions(text: string): PromptSection {
  return {
    id: 'task',
    title: 'Task',
    kind: 'instructions',
    text,
    priority: SECTION_PRIORITY.instructions,
    condensable: false,
  };
}

function requireInputs(agent: AgentName, context: AgentContext): AnalysisInputs {
  if (!context.inputs) fail(agent, context, 'needs the analysis inputs; load the market data first');
  return context.inputs;
}

function sourceNote(inputs: AnalysisInputs): string {
  return `Data source: ${inputs.sourceLabel}${inputs.isSample ? ' (sample data, not live; say so if it matters)' : ''}.`;
}

function cell(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/** Markdown table of the last bars, figures exactly as given: the optimizer compresses, the builder never rounds. */
export function renderPriceTable(bars: readonly PriceBar[]): string {
  const withVolume = bars.some((bar) => bar.volume !== undefined);
  const header = withVolume
    ? '| Date | Open | High | Low | Close | Volume |'
    : '| Date | Open | High | Low | Close |';
  const rule = withVolume ? '|---|---|---|---|---|---|' : '|---|---|---|---|---|';
  const rows = bars.map((bar) => {
    const cells = [bar.date, cell(bar.open), cell(bar.high), cell(bar.low), cell(bar.close)];
    if (withVolume) cells.push(cell(bar.volume));
    return `| ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

function marketAnalystSections(context: AgentContext): PromptSection[] {
  const inputs = requireInputs('market_analyst', context);
  if (inputs.prices.length === 0)
    fail('market_analyst', context, 'has no price bars; choose a date inside the data');
  const bars = inputs.prices.slice(-PRICE_TABLE_BARS);
  return [
    {
      id: 'prices',
      title: `Daily prices, last ${bars.length} bars`,
      kind: 'table',
      text: renderPriceTable(bars),
      priority: SECTION_PRIORITY.analystData,
      condensable: false,
    },
    {
      id: 'indicators',
      title: `Indicators at ${context.date}`,
      kind: 'json',
      text: JSON.stringify(inputs.indicators, null, 2),
      priority: SECTION_PRIORITY.analystData,
      condensable: false,
    },
    instructions(
      `Write the market report on ${context.ticker} as of ${context.date}: trend, momentum, volatility, and support and resistance levels, citing figures from the table and the indicators, then what they imply for a trader. ${sourceNote(inputs)}`,
    ),
  ];
}

function newsAnalystSections(context: AgentContext): PromptSection[] {
  const inputs = requireInputs('news_analyst', context);
  const items: PromptSection[] = inputs.news.map((item, index) => ({
    id: `news:${index + 1}`,
    title: `News item ${index + 1}`,
    kind: 'news',
    text: `${item.date} | ${item.source} | ${item.headline}\n${item.body}`,
    priority: SECTION_PRIORITY.analystData,
    condensable: false,
  }));
  if (items.length === 0) {
    // A quiet news window is a finding, not an error: the analyst reports it.
    items.push({
      id: 'news:none',
      title: 'News',
      kind: 'text',
      text: `No news items were found for ${context.ticker} up to ${context.date}.`,
      priority: SECTION_PRIORITY.analystData,
      condensable: false,
    });
  }
  items.push(
    instructions(
      `Write the news report on ${context.ticker} as of ${context.date}: the items that could move the stock, their dates, and whether each is positive or negative for it, then the overall tone. ${sourceNote(inputs)}`,
    ),
  );
  return items;
}

function socialAnalystSections(context: AgentContext): PromptSection[] {
  const inputs = requireInputs('social_analyst', context);
  const posts: PromptSection[] = inputs.social.map((post, index) => ({
    id: `social:${index + 1}`,
    title: `Social post ${index + 1}`,
    kind: 'social',
    text: `${post.date} | ${post.platform} | ${post.author}: ${post.text}`,
    priority: SECTION_PRIORITY.analystData,
    condensable: false,
  }));
  if (posts.length === 0) {
    posts.push({
      id: 'social:none',
      title: 'Social posts',
      kind: 'text',
      text: `No social media posts were found for ${context.ticker} up to ${context.date}.`,
      priority: SECTION_PRIORITY.analystData,
      condensable: false,
    });
  }
  posts.push(
    instructions(
      `Write the sentiment report on ${context.ticker} as of ${context.date}: the overall mood (bullish, bearish or mixed), what drives it, and how far it can be trusted. ${sourceNote(inputs)}`,
    ),
  );
  return posts;
}

function fundamentalsAnalystSections(context: AgentContext): PromptSection[] {
  const inputs = requireInputs('fundamentals_analyst', context);
  const fundamentals = inputs.fundamentals;
  return [
    {
      id: 'fundamentals',
      title: `Fundamentals, ${fundamentals.period} (${fundamentals.currency})`,
      kind: 'json',
      text: JSON.stringify(fundamentals, null, 2),
      priority: SECTION_PRIORITY.analystData,
      condensable: false,
    },
    instructions(
      `Write the fundamentals report on ${context.ticker} as of ${context.date}: valuation, growth, profitability and balance sheet, citing the figures, then whether the fundamentals support owning the stock. ${sourceNote(inputs)}`,
    ),
  ];
}

/** The digest target of the sections a downstream reader may read condensed; none in baseline mode. */
function digestTarget(options: SectionOptions): number | undefined {
  return options.mode === 'optimized' && options.digestWords ? options.digestWords : undefined;
}

function reportSections(agent: AgentName, context: AgentContext, options: SectionOptions): PromptSection[] {
  const { mode } = options;
  const digestWords = digestTarget(options);
  const sections: PromptSection[] = [];
  for (const analyst of ANALYST_AGENTS) {
    const text = context.reports?.[analyst];
    if (!text || text.trim() === '') continue;
    sections.push({
      id: `report:${analyst}`,
      title: `${agentLabel(analyst)} report`,
      kind: 'report',
      text,
      priority: REPORT_PRIORITY[analyst],
      condensable: mode === 'optimized',
      ...(digestWords !== undefined ? { digestWords } : {}),
      author: analyst,
    });
  }
  if (sections.length === 0)
    fail(agent, context, 'needs at least one analyst report; run the analysts first');
  return sections;
}

function planSection(id: 'investment-plan' | 'trader-plan', text: string): PromptSection {
  const investment = id === 'investment-plan';
  return {
    id,
    title: investment ? 'Investment plan (research manager)' : "Trader's plan",
    kind: 'plan',
    text,
    priority: SECTION_PRIORITY.plan,
    condensable: false,
    author: investment ? 'research_manager' : 'trader',
  };
}

function requirePlan(agent: AgentName, context: AgentContext, plan: 'investmentPlan' | 'traderPlan'): string {
  const text = context[plan];
  if (!text || text.trim() === '') {
    fail(
      agent,
      context,
      plan === 'investmentPlan'
        ? "needs the research manager's investment plan; run the research manager first"
        : "needs the trader's plan; run the trader first",
    );
  }
  return text;
}

/**
 * How a reader relates to a debate: a participant answers its opponents' latest turns, a judge weighs each
 * side's closing turn, a bystander (baseline mode only) reads everything at equal weight.
 */
type DebateReader = { kind: 'participant'; agent: AgentName } | { kind: 'judge' } | { kind: 'bystander' };

function latestTurnIndexByAuthor(turns: readonly DebateTurn[]): Map<AgentName, number> {
  const latest = new Map<AgentName, number>();
  turns.forEach((turn, index) => latest.set(turn.agent, index));
  return latest;
}

function debateSections(
  turns: readonly DebateTurn[],
  reader: DebateReader,
  options: SectionOptions,
): PromptSection[] {
  const { mode } = options;
  const digestWords = digestTarget(options);
  const latest = latestTurnIndexByAuthor(turns);
  const usedIds = new Set<string>();
  return turns.map((turn, index) => {
    const isLatestOfAuthor = latest.get(turn.agent) === index;
    let priority: number = SECTION_PRIORITY.olderTurn;
    if (reader.kind === 'participant' && isLatestOfAuthor) {
      priority =
        turn.agent === reader.agent ? SECTION_PRIORITY.ownLatestTurn : SECTION_PRIORITY.latestOpposingTurn;
    } else if (reader.kind === 'judge' && isLatestOfAuthor) {
      priority = SECTION_PRIORITY.closingTurn;
    }
    let id = `debate:${turn.agent}:${turn.round}`;
    for (let suffix = 2; usedIds.has(id); suffix += 1) id = `debate:${turn.agent}:${turn.round}:${suffix}`;
    usedIds.add(id);
    return {
      id,
      title: `${agentLabel(turn.agent)}, round ${turn.round}`,
      kind: 'debate-turn',
      text: turn.text,
      priority,
      condensable: mode === 'optimized' && priority < SECTION_PRIORITY.closingTurn,
      // Older turns (and a debater's own last turn) are read as digests; the turns to answer stay whole.
      ...(digestWords !== undefined && priority < SECTION_PRIORITY.closingTurn ? { digestWords } : {}),
      author: turn.agent,
      round: turn.round,
    };
  });
}

function requireRound(agent: AgentName, context: AgentContext, options: PromptOptions): void {
  const { round, totalRounds } = options;
  if (!Number.isInteger(round) || !Number.isInteger(totalRounds) || round < 1 || round > totalRounds) {
    fail(
      agent,
      context,
      `got round ${round} of ${totalRounds}; a debate round must be between 1 and the round count`,
    );
  }
}

function roundNote(options: PromptOptions): string {
  const last =
    options.round === options.totalRounds ? ' It is the last round: end with your conclusion.' : '';
  return `This is round ${options.round} of ${options.totalRounds}.${last}`;
}

/**
 * Baseline extras: what a downstream agent receives beyond its role's needs in the origin project's
 * behaviour, namely every debate turn so far, at bystander weight.
 */
function baselineDebates(
  context: AgentContext,
  skip: { research?: boolean; risk?: boolean },
): PromptSection[] {
  return [
    ...(skip.research
      ? []
      : debateSections(context.researchDebate ?? [], { kind: 'bystander' }, { mode: 'baseline' })),
    ...(skip.risk
      ? []
      : debateSections(context.riskDebate ?? [], { kind: 'bystander' }, { mode: 'baseline' })),
  ];
}

function researcherSections(
  agent: (typeof RESEARCH_AGENTS)[number],
  context: AgentContext,
  options: PromptOptions,
): PromptSection[] {
  requireRound(agent, context, options);
  const { mode } = options;
  const opponent = agent === 'bull_researcher' ? 'bear_researcher' : 'bull_researcher';
  const turns = context.researchDebate ?? [];
  const opposing = [...turns].reverse().find((turn) => turn.agent === opponent);
  const stance = agent === 'bull_researcher' ? 'for' : 'against';
  const answer = opposing
    ? `Rebut the ${agentLabel(opponent).toLowerCase()}'s latest argument (round ${opposing.round}) point by point, then make the strongest evidence-based case ${stance} investing in ${context.ticker}.`
    : `Open the debate with the strongest evidence-based case ${stance} investing in ${context.ticker}.`;
  return [
    ...reportSections(agent, context, options),
    ...debateSections(turns, { kind: 'participant', agent }, options),
    ...(mode === 'baseline' ? baselineDebates(context, { research: true }) : []),
    instructions(`${answer} ${roundNote(options)}`),
  ];
}

function researchManagerSections(context: AgentContext, options: PromptOptions): PromptSection[] {
  const { mode } = options;
  const turns = context.researchDebate ?? [];
  const debateNote =
    turns.length > 0 ? 'Weigh the bull and bear arguments' : 'There was no debate; judge from the reports';
  return [
    ...reportSections('research_manager', context, options),
    ...debateSections(turns, mode === 'optimized' ? { kind: 'judge' } : { kind: 'bystander' }, options),
    ...(mode === 'baseline' ? baselineDebates(context, { research: true }) : []),
    instructions(
      `${debateNote} and decide BUY, HOLD or SELL for ${context.ticker}. Write the investment plan: the decision, the two or three reasons that decided it, and how the trader should act on it.`,
    ),
  ];
}

function traderSections(context: AgentContext, options: PromptOptions): PromptSection[] {
  const { mode } = options;
  const plan = requirePlan('trader', context, 'investmentPlan');
  return [
    ...reportSections('trader', context, options),
    ...(mode === 'baseline' ? baselineDebates(context, {}) : []),
    planSection('investment-plan', plan),
    instructions(
      `Turn the investment plan into a trading plan for ${context.ticker}: the action (BUY, HOLD or SELL), and where the reports support them an entry price, a stop-loss, a target and a position size, each with a one-line reason.`,
    ),
  ];
}

function riskDebaterSections(
  agent: (typeof RISK_DEBATER_AGENTS)[number],
  context: AgentContext,
  options: PromptOptions,
): PromptSection[] {
  requireRound(agent, context, options);
  const { mode } = options;
  const plan = requirePlan(agent, context, 'traderPlan');
  const turns = context.riskDebate ?? [];
  const others = RISK_DEBATER_AGENTS.filter(
    (other) => other !== agent && turns.some((turn) => turn.agent === other),
  );
  const answer =
    others.length > 0
      ? ` Answer the latest points of the ${others.map((other) => agentLabel(other).toLowerCase()).join(' and the ')} where you disagree.`
      : '';
  const view = agent.replace('_debater', '');
  return [
    ...reportSections(agent, context, options),
    ...(mode === 'baseline' ? baselineDebates(context, { risk: true }) : []),
    planSection('trader-plan', plan),
    ...debateSections(turns, { kind: 'participant', agent }, options),
    instructions(
      `Assess the trader's plan for ${context.ticker} from the ${view} point of view: what it gains or risks, and what you would change (size, entry, stop).${answer} ${roundNote(options)}`,
    ),
  ];
}

function riskManagerSections(context: AgentContext, options: PromptOptions): PromptSection[] {
  const { mode } = options;
  const traderPlan = requirePlan('risk_manager', context, 'traderPlan');
  const investmentPlan = requirePlan('risk_manager', context, 'investmentPlan');
  const turns = context.riskDebate ?? [];
  return [
    ...reportSections('risk_manager', context, options),
    ...(mode === 'baseline' ? baselineDebates(context, { risk: true }) : []),
    planSection('investment-plan', investmentPlan),
    planSection('trader-plan', traderPlan),
    ...debateSections(turns, mode === 'optimized' ? { kind: 'judge' } : { kind: 'bystander' }, options),
    instructions(
      `${turns.length > 0 ? 'Weigh the risk debate' : 'There was no risk debate; weigh the plans'} against the trader's plan and the investment plan, and make the final decision for ${context.ticker}, adjusting entry and stop where the risks call for it.\n\n${DECISION_FORMAT_INSTRUCTIONS}`,
    ),
  ];
}

function sectionsFor(agent: AgentName, context: AgentContext, options: PromptOptions): PromptSection[] {
  switch (agent) {
    case 'market_analyst':
      return marketAnalystSections(context);
    case 'news_analyst':
      return newsAnalystSections(context);
    case 'social_analyst':
      return socialAnalystSections(context);
    case 'fundamentals_analyst':
      return fundamentalsAnalystSections(context);
    case 'bull_researcher':
    case 'bear_researcher':
      return researcherSections(agent, context, options);
    case 'research_manager':
      return researchManagerSections(context, options);
    case 'trader':
      return traderSections(context, options);
    case 'aggressive_debater':
    case 'conservative_debater':
    case 'neutral_debater':
      return riskDebaterSections(agent, context, options);
    case 'risk_manager':
      return riskManagerSections(context, options);
  }
}

/**
 * Builds the prompt draft of one agent call: a short role-specific system prompt and the user message as
 * sections (data or reports, plans, debate turns, then the task). No word limit is set here; the Prompt
 * Enhancer adds it in optimized mode. Throws one clear sentence when the role's inputs are missing.
 */
export function buildPromptDraft(
  agent: AgentName,
  context: AgentContext,
  options: PromptOptions,
): PromptDraft {
  if (!context.ticker || !context.date) {
    throw new Error(
      `The ${agentLabel(agent).toLowerCase()} prompt needs a ticker and a date; both must be set.`,
    );
  }
  return { agent, system: systemPrompt(agent, context), sections: sectionsFor(agent, context, options) };
}
