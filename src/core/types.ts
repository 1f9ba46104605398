import type { AgentName, AnalystAgent } from './agents';
import type { AttemptRecord, UsageSource } from './ledger';

/** One chat message as sent to a model. Plain JSON so it can cross the workflow/activity boundary. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Token usage of one model call. Unknown stays `undefined`, never 0 (a server that sends no usage is not a
 * server that used no tokens).
 */
export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
}

/** Whether the pipeline runs with token management (`optimized`) or as the origin project did (`baseline`). */
export type PipelineMode = 'optimized' | 'baseline';

/** One daily OHLCV bar. */
export interface PriceBar {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume?: number;
}

export interface NewsItem {
  date: string;
  source: string;
  headline: string;
  body: string;
}

export interface SocialPost {
  date: string;
  platform: string;
  author: string;
  text: string;
}

export interface FundamentalsSnapshot {
  period: string;
  currency: string;
  metrics: Record<string, number | string>;
  notes?: string;
}

/** Everything the analysts read for one ticker on one date. */
export interface AnalysisInputs {
  ticker: string;
  date: string;
  /** Where the data came from, e.g. "bundled sample (vega-datasets sp500-2000.csv)" or a folder path. */
  sourceLabel: string;
  /** True when any part is a labelled sample rather than the user's own data. */
  isSample: boolean;
  /** Daily bars up to and including `date`, oldest first. */
  prices: PriceBar[];
  /** Indicators computed from `prices` at `date` (null where the window is too short). */
  indicators: Record<string, number | null>;
  news: NewsItem[];
  social: SocialPost[];
  fundamentals: FundamentalsSnapshot;
}

/** One turn of a debate (bull/bear, or the three risk debaters). */
export interface DebateTurn {
  agent: AgentName;
  round: number;
  text: string;
}

/**
 * What an agent's prompt is built from. Each role reads only the parts it needs; in `baseline` mode
 * downstream agents receive everything in full, as the origin project did.
 */
export interface AgentContext {
  ticker: string;
  date: string;
  inputs?: AnalysisInputs;
  reports?: Partial<Record<AnalystAgent, string>>;
  researchDebate?: DebateTurn[];
  investmentPlan?: string;
  traderPlan?: string;
  riskDebate?: DebateTurn[];
}

/** Kinds of prompt section; the optimizer compresses each kind its own way. */
export type PromptSectionKind =
  'instructions' | 'table' | 'json' | 'news' | 'social' | 'report' | 'debate-turn' | 'plan' | 'text';

/** One titled part of a prompt's user message. */
export interface PromptSection {
  /** Stable id within the prompt, e.g. `prices`, `report:news_analyst`, `debate:bull_researcher:1`. */
  id: string;
  title: string;
  kind: PromptSectionKind;
  text: string;
  /** Higher survives longer when context must be trimmed; instructions use 100. */
  priority: number;
  /** The context manager may replace this section by a digest. */
  condensable: boolean;
  /**
   * What the reader's role needs of this section, in words: when longer, the optimizer always sends its
   * key-fact digest (conclusion, chosen sentences, every figure), budget or not. Set in optimized mode on
   * the reports and older debate turns downstream agents read.
   */
  digestWords?: number;
  /** The agent that wrote it, for reports and debate turns. */
  author?: AgentName;
  round?: number;
}

/** A prompt before rendering: the optimizer works on sections, then renders messages. */
export interface PromptDraft {
  agent: AgentName;
  system: string;
  sections: PromptSection[];
  /** Word limit written into the prompt; undefined in baseline mode. */
  wordLimit?: number;
}

/** Counts tokens the way one model's tokenizer does. */
export interface TokenCounter {
  /** Encoding or tokenizer name, e.g. `o200k_base` or `gguf:SmolLM2-135M-Instruct`. */
  readonly name: string;
  count(text: string): number;
  /** Tokens of a chat request, including the per-message overhead of the chat format. */
  countMessages(messages: readonly ChatMessage[]): number;
  /**
   * True when this is the model's own tokenizer (the embedded model), so its counts are what the model
   * processes: estimates need no allowance for a foreign tokenizer.
   */
  readonly exact?: boolean;
}

/** One usage record per agent call, written once by the track step (keyed by `callId`). */
export interface UsageRecord {
  /** `${workflowId}/${agent}/${round}`: the same on every retry of the call, so a retried write is a no-op. */
  callId: string;
  workflowId: string;
  runId: string;
  ticker: string;
  agent: AgentName;
  round: number;
  mode: PipelineMode;
  provider: 'openai' | 'local';
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Undefined when the server did not say. */
  cachedPromptTokens?: number;
  /** Tokens spent by earlier attempts of this call, or by all of them when no answer came (they are billed too). */
  lostTokens: number;
  /**
   * Where prompt/completion counts came from: the server's usage, or an estimate (tokenflow's count scaled by
   * the endpoint's learned tokenizer drift). Records written before 2026-12 say `counted` for an estimate.
   */
  usageSource: UsageSource;
  /** tokenflow's own count of the prompt and the answer (for learning the endpoint's tokenizer drift). */
  localPromptTokens?: number;
  localCompletionTokens?: number;
  /** Every attempt of the call (Temporal retries), with how it ended and where its figures came from. */
  attemptRecords?: AttemptRecord[];
  rawWords: number;
  words: number;
  wordLimit?: number;
  rawCompliant?: boolean;
  truncated: boolean;
  predictedTokens?: number;
  maxTokens: number;
  costUsd?: number;
  latencyMs: number;
  /** How many attempts the call took (see `attemptRecords` for each). */
  attempts: number;
  /**
   * How the answer ended (`stop`, `length`, `limit`, `repetition`, ...); undefined for calls recorded before
   * it was kept.
   */
  finishReason?: string;
  calibrationVersion?: string;
  /** ISO timestamp, taken in the activity (workflows never read the clock). */
  recordedAt?: string;
}
