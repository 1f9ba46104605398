import {
  AGENT_NAMES,
  agentDefinition,
  agentLabel,
  isAgentName,
  type AgentName,
  type AgentStage,
} from '../../src/agents';
import type { ChatMessage } from '../../src/core/types';
import { DEFAULT_REPETITION_WINDOW_WORDS, findRepetition } from '../../src/core/repetition-detector';

/**
 * The text generator behind the fake OpenAI server: a deterministic stand-in for a chat model that behaves
 * the way the workflow and the benchmarks need a model to behave. It reads the prompt the way a model would:
 * which agent it is asked to be, whether a word limit was given, which ticker, dates and figures the data
 * holds, and whether a labelled final decision is wanted. Everything is seeded by the request content, so
 * the same prompt always gets the same answer.
 */

/** The agent a prompt addresses, or `unknown` when its role words were not found. */
export type ScriptedRole = AgentName | 'unknown';

/** How the scripted model decides how long to answer. */
export interface ScriptOptions {
  /**
   * `compliant`: follows the prompt (keeps a word limit with probability `complianceRate`, otherwise
   * overshoots it by 10-40%; with no limit in the prompt it is as verbose as the origin project's agents).
   * `baseline`: ignores word limits and is always as verbose as the origin project's agents.
   */
  verbosity: 'compliant' | 'baseline';
  /** Probability in [0, 1] of answering within a word limit found in the prompt. */
  complianceRate: number;
  seed: number;
}

/** Facts found in the prompt, reused in the answer so reports carry them downstream. */
export interface PromptFacts {
  ticker?: string;
  /** ISO dates, in order of first appearance. */
  dates: string[];
  /** Figures (numbers with decimals, percentages, or at least three digits), in order of first appearance. */
  figures: string[];
}

export interface ScriptedDecision {
  decision: 'BUY' | 'HOLD' | 'SELL';
  confidence: number;
  entry?: number;
  stop?: number;
}

export interface ScriptedAnswer {
  role: ScriptedRole;
  text: string;
  words: number;
  /** The word limit read from the prompt, if any. */
  wordLimit?: number;
  /** How the length was chosen. */
  lengthMode: 'within-limit' | 'over-limit' | 'baseline';
  facts: PromptFacts;
  /** Present when the prompt asked for the `DECISION:` format. */
  decision?: ScriptedDecision;
}

/**
 * Baseline answer lengths in words, per role. The origin project measured 218,130 tokens per run, 95% of them
 * prompt tokens, so its completions came to about 10,900 tokens over a run; per agent it measured (prompt and
 * completion together, over all of an agent's calls) bear researcher 30,966 tokens, bull researcher 29,923,
 * research manager 29,033, the three risk debaters 93,737 together and the trader 2,586. These ranges are
 * chosen so completion shares follow those published figures: at about 1.3 tokens per word, four analysts at
 * 700-1,000 words, two researchers and three risk debaters at 500-800, two managers at 600-900 and a trader at
 * 200-350 give about 11,000 completion tokens per run with one debate round each, i.e. about 5% of the origin
 * run, and the trader, whose total was under 3,000 tokens, stays short.
 */
export const BASELINE_WORDS: Record<
  'analyst' | 'debater' | 'manager' | 'trader' | 'unknown',
  readonly [number, number]
> = {
  analyst: [700, 1000],
  debater: [500, 800],
  manager: [600, 900],
  trader: [200, 350],
  unknown: [400, 700],
};

/** Share of a word limit used by a compliant answer, and the overshoot of a non-compliant one. */
const WITHIN_LIMIT_SHARE: readonly [number, number] = [0.6, 0.95];
const OVER_LIMIT_SHARE: readonly [number, number] = [1.1, 1.4];

/** Words counted the way the limiter counts them: runs of non-space characters. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** FNV-1a, 32 bits: a stable hash for seeding. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, good enough to pick sentences and lengths reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Role phrases, most specific first. */
const ROLE_PATTERNS: ReadonlyArray<readonly [RegExp, ScriptedRole]> = [
  [/\bresearch manager\b|\binvestment judge\b|\bportfolio manager\b/, 'research_manager'],
  [/\brisk manager\b|\brisk judge\b|\brisk management judge\b/, 'risk_manager'],
  [/\baggressive\b|\brisky (?:risk )?(?:analyst|debater)\b/, 'aggressive_debater'],
  [/\bconservative\b|\bsafe (?:risk )?(?:analyst|debater)\b/, 'conservative_debater'],
  [/\bneutral (?:risk )?(?:analyst|debater)\b/, 'neutral_debater'],
  [/\bbull(?:ish)? (?:researcher|analyst)\b/, 'bull_researcher'],
  [/\bbear(?:ish)? (?:researcher|analyst)\b/, 'bear_researcher'],
  [/\btrader\b/, 'trader'],
  [/\bmarket analyst\b|\btechnical analyst\b/, 'market_analyst'],
  [/\bnews analyst\b/, 'news_analyst'],
  [/\bsocial(?: media)? analyst\b|\bsentiment analyst\b/, 'social_analyst'],
  [/\bfundamentals? analyst\b/, 'fundamentals_analyst'],
];

/**
 * Every registered agent's label (`macro analyst`), for an agent the phrases above do not know: a prompt that
 * introduces an agent registered beside the built-in ones (whose labels the phrases above all match).
 */
function registeredRolePatterns(): Array<readonly [RegExp, ScriptedRole]> {
  return AGENT_NAMES.map((agent) => [new RegExp(`\\b${agentLabel(agent).toLowerCase()}\\b`), agent] as const);
}

/** Topic words alone, used only when no role phrase was found. */
const TOPIC_PATTERNS: ReadonlyArray<readonly [RegExp, ScriptedRole]> = [
  [/\bbull\b/, 'bull_researcher'],
  [/\bbear\b/, 'bear_researcher'],
  [/\bnews\b/, 'news_analyst'],
  [/\bsocial\b|\bsentiment\b/, 'social_analyst'],
  [/\bfundamentals?\b|\bbalance sheet\b/, 'fundamentals_analyst'],
  [/\bmarket\b|\bprice\b/, 'market_analyst'],
];

function normalize(text: string): string {
  return text.toLowerCase().replace(/[_-]+/g, ' ');
}

/** The pattern whose first match comes earliest in `text`. */
function earliestRole(
  text: string,
  patterns: ReadonlyArray<readonly [RegExp, ScriptedRole]>,
): ScriptedRole | undefined {
  let best: ScriptedRole | undefined;
  let bestIndex = Number.POSITIVE_INFINITY;
  for (const [pattern, role] of patterns) {
    const index = text.search(pattern);
    if (index >= 0 && index < bestIndex) {
      best = role;
      bestIndex = index;
    }
  }
  return best;
}

/**
 * The agent a prompt addresses. Leniently: the phrase after "you are" first, then the earliest role phrase
 * (a market analyst's prompt may mention the trader it reports to later on), in the system prompt before
 * the rest, then bare topic words.
 */
export function detectRole(messages: readonly ChatMessage[]): ScriptedRole {
  const join = (filter: (message: ChatMessage) => boolean): string =>
    normalize(
      messages
        .filter(filter)
        .map((message) => message.content)
        .join('\n'),
    );
  const system = join((message) => message.role === 'system');
  const rest = join((message) => message.role !== 'system');
  for (const text of [system, rest]) {
    const introduction = /\byou are\s+(?:a|an|the)?\s*([^.\n]{0,80})/.exec(text)?.[1];
    const introduced =
      introduction === undefined
        ? undefined
        : (earliestRole(introduction, ROLE_PATTERNS) ?? earliestRole(introduction, registeredRolePatterns()));
    if (introduced) return introduced;
    const named = earliestRole(text, ROLE_PATTERNS);
    if (named) return named;
  }
  for (const text of [system, rest]) {
    const topic = earliestRole(text, TOPIC_PATTERNS);
    if (topic) return topic;
  }
  return 'unknown';
}

const WORD_LIMIT_PATTERNS: readonly RegExp[] = [
  /\b(?:at most|no more than|not more than|maximum of|max(?:imum)?|up to|under|within|fewer than|less than)\s+(\d{1,5})\s+words\b/gi,
  /\b(\d{1,5})[- ]word (?:limit|maximum|cap)\b/gi,
  /\bword limit(?: of|:)?\s*(\d{1,5})\b/gi,
];

/** The tightest word limit written into the prompt, if any. */
export function findWordLimit(messages: readonly ChatMessage[]): number | undefined {
  let limit: number | undefined;
  for (const message of messages) {
    for (const pattern of WORD_LIMIT_PATTERNS) {
      for (const match of message.content.matchAll(pattern)) {
        const value = Number.parseInt(match[1] ?? '', 10);
        if (value > 0 && (limit === undefined || value < limit)) limit = value;
      }
    }
  }
  return limit;
}

/** Capitalised words of prompts that are not tickers. */
const NOT_TICKERS = new Set(
  [
    'BUY SELL HOLD DECISION CONFIDENCE ENTRY STOP RATIONALE CSV JSON USD EUR RSI MACD SMA EMA ATR VWAP',
    'OHLCV OHLC EPS CEO CFO AI API GDP CPI FED ETF IPO PE PEG ROE ROA YOY QOQ TTM FY Q1 Q2 Q3 Q4 US USA',
    'UK EU SEC NOTE FINAL TRANSACTION PROPOSAL THE AND NOT ONLY DATE IMPORTANT SAMPLE DATA NEWS HIGH LOW',
    'OPEN CLOSE VOLUME NA N A I OK TBD FAQ',
  ]
    .join(' ')
    .split(' '),
);

const DATE_PATTERN = /\b\d{4}-\d{2}-\d{2}\b/g;
const FIGURE_PATTERN = /(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?(?![\w])/g;

/** Ticker, dates and figures of the user-visible part of a prompt (instructions' own numbers left out). */
export function extractFacts(messages: readonly ChatMessage[]): PromptFacts {
  const text = messages
    .filter((message) => message.role !== 'system')
    .map((message) => message.content)
    .join('\n');
  const dates = unique(text.match(DATE_PATTERN) ?? []);
  const withoutLimits = WORD_LIMIT_PATTERNS.reduce((current, pattern) => current.replace(pattern, ' '), text);
  const withoutDates = withoutLimits.replace(DATE_PATTERN, ' ');
  const figures = unique(
    (withoutDates.match(FIGURE_PATTERN) ?? []).filter((figure) => {
      const digits = figure.replace(/[^\d]/g, '');
      return figure.includes('.') || figure.endsWith('%') || digits.length >= 3;
    }),
  ).slice(0, 60);
  const facts: PromptFacts = { dates, figures };
  const ticker = findTicker(text);
  if (ticker) facts.ticker = ticker;
  return facts;
}

function findTicker(text: string): string | undefined {
  const labelled =
    /\b(?:[Tt]icker|TICKER|[Ss]ymbol|SYMBOL)\b[^A-Za-z0-9\n]{0,4}(?:is\s+)?\$?([A-Z]{1,5}(?:\.[A-Z]{1,2})?)\b/.exec(
      text,
    );
  if (labelled?.[1] && !NOT_TICKERS.has(labelled[1])) return labelled[1];
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/\b[A-Z]{2,5}\b/g)) {
    const word = match[0];
    if (NOT_TICKERS.has(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [word, count] of counts) {
    if (count > bestCount) {
      best = word;
      bestCount = count;
    }
  }
  return best;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

type Stance = 'bullish' | 'bearish' | 'neutral';

/** Sentence templates; `{T}` ticker, `{D}` a date, `{F}` the next figure, `{S}` the stance. */
const TEMPLATES: Record<
  'analyst' | 'market' | 'news' | 'social' | 'fundamentals' | 'debate' | 'manager' | 'trader',
  readonly string[]
> = {
  market: [
    '{T} printed {F} in the session of {D}, and that level anchors this technical read.',
    'The price series moves between {F} and {F} over the window, which sets the range a trader has to respect.',
    'Momentum readings of {F} suggest the recent move in {T} is {S} rather than exhausted.',
    'Volume around {D} came in at {F}, a level that tells us how much conviction sits behind the trend.',
    'The gap between the short and long averages, {F} against {F}, is the clearest trend signal in the data.',
    'Volatility of {F} means any stop has to sit a fair distance from the entry to survive ordinary noise.',
    'Support appears near {F} and resistance near {F}, both tested more than once in the window.',
    'Taken together, the indicators lean {S} for {T} as of {D}.',
  ],
  news: [
    'Coverage dated {D} puts {T} in the headlines, and the tone of that coverage is {S} on balance.',
    'One report cites a figure of {F}, which investors are likely to treat as the key number of the week.',
    'Macro news around {D} matters for {T} because rates and demand both feed into its valuation.',
    'Several stories repeat the figure {F}, which suggests the market has already absorbed it.',
    'The sector news flow is {S}, with peers reporting numbers near {F}.',
    'No single headline changes the thesis, but the drift of the news since {D} is {S}.',
    'Analysts quoted in the coverage mention {F} as a level to watch for {T}.',
  ],
  social: [
    'Social chatter about {T} around {D} reads {S} overall, with the loudest posts focused on the price.',
    'Posts mention {F} repeatedly, so retail attention is anchored on that number.',
    'Sentiment swung after {D}, and the share of positive posts moved toward {F}.',
    'The crowd mood on {T} is {S}, though social sentiment tends to follow price rather than lead it.',
    'A cluster of posts compares {T} with peers at {F}, which frames how retail investors value it.',
    'Engagement is concentrated in a few accounts, so the {S} tone should be weighed with care.',
  ],
  fundamentals: [
    'The latest filing for {T} reports a figure of {F}, which sets the base for the valuation.',
    'Margins near {F} show how much of each sale reaches the bottom line.',
    'Growth of {F} against {F} a period earlier is the core of the fundamental case.',
    'The balance sheet carries {F} of obligations, which limits how much risk {T} can take on.',
    'At a multiple near {F}, the shares of {T} look {S} relative to their own history.',
    'Cash generation of {F} gives {T} room to keep investing through a weaker quarter.',
    'The fundamentals as of {D} read {S} for {T} on balance.',
  ],
  analyst: [
    'The data through {D} is consistent with that view.',
    'A reading of {F} confirms the picture rather than contradicting it.',
    'The figure {F} is worth keeping in mind for the downstream decision.',
    'Compared with {D}, the setup for {T} has shifted only modestly.',
    'Risks remain, and a move through {F} would force a rethink.',
  ],
  debate: [
    'The case for a {S} stance on {T} rests on the figures the analysts reported, starting with {F}.',
    'My opponent underrates the level of {F}, which the market analyst flagged as decisive.',
    'Since {D}, the evidence has moved in a {S} direction for {T}.',
    'The news report cites {F}, and that number supports a {S} reading.',
    'Fundamentals near {F} leave a margin of safety that the other side ignores.',
    'Sentiment is a weak guide here, but even the social data at {F} leans {S}.',
    'If {T} holds {F}, the {S} scenario is the more probable one.',
    'Risk management means sizing for a move to {F}, not assuming it cannot happen.',
    'The trader plan should respect the figures reported on {D} rather than a narrative.',
    'A measured position keeps the upside while capping the loss near {F}.',
  ],
  manager: [
    'Weighing the arguments, the {S} side made the stronger case for {T}.',
    'The analysts agree that {F} is the level that matters most as of {D}.',
    'The debate surfaced the figure {F}, which neither side disputed.',
    'A plan for {T} should start from the reports dated {D} and the levels {F} and {F}.',
    'Position size should reflect volatility near {F}, so the plan scales in rather than buying all at once.',
    'The main risk to this view is a break through {F}, which would invalidate the thesis.',
    'The recommendation is {S} on balance, with a review after the next data point.',
  ],
  trader: [
    'The plan for {T} follows the research manager: the stance is {S} as of {D}.',
    'Entry near {F} with protection near {F} keeps the risk defined.',
    'The position starts small and grows only if {T} confirms the move.',
    'Execution should avoid the open, when spreads around {F} are widest.',
  ],
};

const CONNECTORS = [
  '',
  '',
  '',
  'Moreover, ',
  'In addition, ',
  'At the same time, ',
  'Notably, ',
  'On balance, ',
  'Still, ',
];

/** How long an agent answers without a word limit, by its stage. */
const STAGE_GROUPS: Record<AgentStage, keyof typeof BASELINE_WORDS> = {
  analysts: 'analyst',
  'research-debate': 'debater',
  'research-manager': 'manager',
  trader: 'trader',
  'risk-debate': 'debater',
  'risk-manager': 'manager',
};

function roleGroup(role: ScriptedRole): keyof typeof BASELINE_WORDS {
  return isAgentName(role) ? STAGE_GROUPS[agentDefinition(role).stage] : 'unknown';
}

function templatesFor(role: ScriptedRole): readonly string[] {
  switch (role) {
    case 'market_analyst':
      return [...TEMPLATES.market, ...TEMPLATES.analyst];
    case 'news_analyst':
      return [...TEMPLATES.news, ...TEMPLATES.analyst];
    case 'social_analyst':
      return [...TEMPLATES.social, ...TEMPLATES.analyst];
    case 'fundamentals_analyst':
      return [...TEMPLATES.fundamentals, ...TEMPLATES.analyst];
    case 'research_manager':
    case 'risk_manager':
      return TEMPLATES.manager;
    case 'trader':
      return TEMPLATES.trader;
    case 'unknown':
      return [...TEMPLATES.analyst, ...TEMPLATES.manager];
    default:
      return roleGroup(role) === 'analyst' ? TEMPLATES.analyst : TEMPLATES.debate;
  }
}

function label(role: ScriptedRole): string {
  return role === 'unknown' ? 'the analysis' : `the ${role.replace(/_/g, ' ')}`;
}

/**
 * Stance of the agents whose conclusions the prompt quotes: `Conclusion:` lines first (they survive digests),
 * else stance words anywhere in the user part of the prompt.
 */
function stanceFromPrompt(messages: readonly ChatMessage[]): { stance: Stance; margin: number } {
  const text = messages
    .filter((message) => message.role !== 'system')
    .map((message) => message.content)
    .join('\n');
  const conclusions = [...text.matchAll(/conclusion:[^\n.]*?\b(bullish|bearish|neutral)\b/gi)].map((match) =>
    (match[1] ?? '').toLowerCase(),
  );
  const votes =
    conclusions.length > 0
      ? conclusions
      : (text.match(/\b(bullish|bearish)\b/gi) ?? []).map((word) => word.toLowerCase());
  const bullish = votes.filter((vote) => vote === 'bullish').length;
  const bearish = votes.filter((vote) => vote === 'bearish').length;
  const margin = Math.abs(bullish - bearish) / Math.max(1, votes.length);
  if (bullish > bearish && margin >= 0.15) return { stance: 'bullish', margin };
  if (bearish > bullish && margin >= 0.15) return { stance: 'bearish', margin };
  return { stance: 'neutral', margin };
}

function stanceFor(
  role: ScriptedRole,
  messages: readonly ChatMessage[],
  facts: PromptFacts,
  seed: number,
): { stance: Stance; margin: number } {
  switch (role) {
    case 'bull_researcher':
    case 'aggressive_debater':
      return { stance: 'bullish', margin: 1 };
    case 'bear_researcher':
    case 'conservative_debater':
      return { stance: 'bearish', margin: 1 };
    case 'neutral_debater':
      return { stance: 'neutral', margin: 0 };
    case 'research_manager':
    case 'risk_manager':
    case 'trader':
    case 'unknown':
      return stanceFromPrompt(messages);
    default: {
      // Analysts: seeded by what survives any lossless compression (role, ticker, latest date), so the
      // baseline and optimized runs of one analysis get the same conclusions.
      const latest = [...facts.dates].sort().at(-1) ?? '';
      const random = seededRandom(hashString(`${seed}|${role}|${facts.ticker ?? ''}|${latest}`));
      const draw = random();
      return { stance: draw < 0.4 ? 'bullish' : draw < 0.75 ? 'bearish' : 'neutral', margin: 0.5 };
    }
  }
}

function between(random: () => number, [low, high]: readonly [number, number]): number {
  return low + random() * (high - low);
}

function findEntryPrice(messages: readonly ChatMessage[], facts: PromptFacts): number | undefined {
  const text = messages
    .filter((message) => message.role !== 'system')
    .map((message) => message.content)
    .join('\n');
  const labelled = [
    ...text.matchAll(/\b(?:close|closed at|last price|price|entry)\b[^0-9\n]{0,30}(\d+(?:\.\d+)?)/gi),
  ];
  const candidate = labelled.at(-1)?.[1] ?? facts.figures.find((figure) => /^\d+\.\d+$/.test(figure));
  if (candidate === undefined) return undefined;
  const value = Number.parseFloat(candidate.replace(/,/g, ''));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Writes sentences from `templates` until `targetWords` (stopping short of it when `mustFit`). With
 * `avoidRepeats`, as a model that follows its instructions, it never repeats a passage of the stream monitor's
 * window verbatim (drawing other sentences, or ending the answer when none is left).
 */
function writeSentences(
  templates: readonly string[],
  facts: PromptFacts,
  stance: Stance,
  random: () => number,
  targetWords: number,
  mustFit: boolean,
  avoidRepeats: boolean,
): string[] {
  const sentences: string[] = [];
  let words = 0;
  let figureIndex = 0;
  let dateIndex = 0;
  const ticker = facts.ticker ?? 'the stock';
  const nextFigure = (): string => {
    if (facts.figures.length === 0) return (100 + Math.floor(random() * 9000) / 100).toFixed(2);
    const figure = facts.figures[figureIndex % facts.figures.length] ?? '';
    figureIndex++;
    return figure;
  };
  const nextDate = (): string => {
    if (facts.dates.length === 0) return 'the latest session';
    // The latest date most often, the others in turn.
    const date =
      dateIndex % 2 === 0
        ? [...facts.dates].sort().at(-1)
        : facts.dates[Math.floor(dateIndex / 2) % facts.dates.length];
    dateIndex++;
    return date ?? 'the latest session';
  };
  let previous = -1;
  const draw = (): string => {
    let pick = Math.floor(random() * templates.length);
    if (pick === previous) pick = (pick + 1) % templates.length;
    previous = pick;
    const template = templates[pick] ?? '';
    const connector = CONNECTORS[Math.floor(random() * CONNECTORS.length)] ?? '';
    let drawn = template
      .replace(/\{T\}/g, ticker)
      .replace(/\{S\}/g, stance)
      .replace(/\{F\}/g, () => nextFigure())
      .replace(/\{D\}/g, () => nextDate());
    if (connector) drawn = connector + drawn.charAt(0).toLowerCase() + drawn.slice(1);
    return drawn.charAt(0).toUpperCase() + drawn.slice(1);
  };
  const repeats = (candidate: string): boolean =>
    avoidRepeats &&
    findRepetition([...sentences, candidate].join(' '), DEFAULT_REPETITION_WINDOW_WORDS) !== undefined;
  for (let guard = 0; guard < 2000; guard++) {
    let body = draw();
    for (let attempt = 0; attempt < 20 && repeats(body); attempt++) body = draw();
    if (repeats(body)) break;
    const sentenceWords = countWords(body);
    if (mustFit && words + sentenceWords > targetWords) {
      if (sentences.length > 0 || targetWords < 4) break;
      // Not even one sentence fits: say the essentials in as few words as the limit allows.
      const short = `${ticker} looks ${stance}.`;
      if (countWords(short) <= targetWords) sentences.push(short);
      break;
    }
    sentences.push(body);
    words += sentenceWords;
    if (words >= targetWords) break;
  }
  return sentences;
}

/**
 * The scripted model's answer to one chat request. Deterministic in (`messages`, `options.seed`).
 */
export function scriptAnswer(messages: readonly ChatMessage[], options: ScriptOptions): ScriptedAnswer {
  const random = seededRandom(hashString(`${options.seed}|${JSON.stringify(messages)}`));
  const role = detectRole(messages);
  const facts = extractFacts(messages);
  const promptLimit = findWordLimit(messages);
  const wantsDecision = messages.some((message) => message.content.includes('DECISION:'));
  const { stance, margin } = stanceFor(role, messages, facts, options.seed);

  // The first draw decides compliance, so the rate does not depend on anything else drawn.
  const complianceDraw = random();
  let lengthMode: ScriptedAnswer['lengthMode'];
  let targetWords: number;
  if (promptLimit !== undefined && options.verbosity === 'compliant') {
    if (complianceDraw < options.complianceRate) {
      lengthMode = 'within-limit';
      targetWords = Math.max(1, Math.floor(promptLimit * between(random, WITHIN_LIMIT_SHARE)));
    } else {
      lengthMode = 'over-limit';
      targetWords = Math.ceil(promptLimit * between(random, OVER_LIMIT_SHARE));
    }
  } else {
    lengthMode = 'baseline';
    targetWords = Math.round(between(random, BASELINE_WORDS[roleGroup(role)]));
  }

  const lines: string[] = [];
  let decision: ScriptedDecision | undefined;
  if (wantsDecision) {
    const choice: ScriptedDecision['decision'] =
      stance === 'bullish' ? 'BUY' : stance === 'bearish' ? 'SELL' : 'HOLD';
    const confidence = Math.round(Math.min(0.95, 0.55 + 0.35 * margin + 0.05 * random()) * 100) / 100;
    decision = { decision: choice, confidence };
    lines.push(`DECISION: ${choice}`, `CONFIDENCE: ${confidence.toFixed(2)}`);
    const entry = choice === 'HOLD' ? undefined : findEntryPrice(messages, facts);
    if (entry !== undefined) {
      const stop = Math.round(entry * (choice === 'BUY' ? 0.94 : 1.06) * 100) / 100;
      decision.entry = entry;
      decision.stop = stop;
      lines.push(`ENTRY: ${entry}`, `STOP: ${stop}`);
    }
  }
  const conclusion =
    `Conclusion: ${label(role)} is ${stance} on ${facts.ticker ?? 'the stock'}` +
    (facts.dates.length > 0 ? ` as of ${[...facts.dates].sort().at(-1)}.` : '.');
  const fixedWords = countWords(lines.join('\n')) + (wantsDecision ? 1 : 0) + countWords(conclusion);
  const mustFit = lengthMode === 'within-limit';
  const bodyTarget = Math.max(0, targetWords - fixedWords);
  const sentences =
    bodyTarget > 0
      ? writeSentences(
          templatesFor(role),
          facts,
          stance,
          random,
          bodyTarget,
          mustFit,
          options.verbosity === 'compliant',
        )
      : [];
  const keepConclusion =
    !mustFit ||
    countWords(lines.join('\n')) +
      (wantsDecision ? 1 : 0) +
      countWords(sentences.join(' ')) +
      countWords(conclusion) <=
      targetWords;
  const body = [...sentences, ...(keepConclusion ? [conclusion] : [])];

  let text: string;
  if (wantsDecision) {
    text = [...lines, `RATIONALE: ${body.join(' ')}`.trimEnd()].join('\n');
  } else {
    // Paragraphs of about four sentences, as a model writes a report.
    const paragraphs: string[] = [];
    for (let index = 0; index < body.length; index += 4)
      paragraphs.push(body.slice(index, index + 4).join(' '));
    text = paragraphs.join('\n\n');
  }

  const answer: ScriptedAnswer = { role, text, words: countWords(text), lengthMode, facts };
  if (promptLimit !== undefined) answer.wordLimit = promptLimit;
  if (decision) answer.decision = decision;
  return answer;
}
