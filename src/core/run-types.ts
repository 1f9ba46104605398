import type { AgentName, BudgetLine } from './agents';
import type { BudgetSummary } from './budget';
import type { AttemptRecord, UsageSource } from './ledger';
import type { TokenizerDrift } from './tokenizer-drift';
import type { OnExhausted } from './pool';
import type { PipelineMode } from './types';

/** What a user asks for: one ticker on one date. */
export interface AnalysisRequest {
  ticker: string;
  /** YYYY-MM-DD */
  date: string;
  mode: PipelineMode;
  researchRounds: number;
  riskRounds: number;
}

/** Per-agent calibration written by the learning workflow and loaded at the start of a run. */
export interface AgentCalibration {
  wordLimit: number;
  allocation: number;
  tokensPerWord: number;
  /** Robust estimate of this agent's completion tokens from recorded usage, when there is enough of it. */
  expectedCompletionTokens?: number;
  /**
   * The predicted answer as a fraction of the agent's word-limit ceiling (`wordLimitCeiling`): 1 for a model
   * that runs on to `max_tokens`, less for one that ends its answers by itself. Relative to the ceiling, so
   * it still holds when a later calibration or a config change moves the word limit.
   */
  capFraction?: number;
  /**
   * The recorded answers as fractions of the ceiling under this calibration's word limit (1 = ran on to it),
   * most recent last. With them the predictor answers for the `max_tokens` a call really gets, which can be
   * below the ceiling when the agent's answers are usually short.
   */
  outcomeFractions?: number[];
  /** Share of recorded answers that ran on until `max_tokens` stopped them. */
  runOnRate?: number;
  /** Predicted completion tokens of a decision-repair call (structured output), a call unlike the agent's answers. */
  repairCompletionTokens?: number;
}

export interface Calibration {
  version: string;
  createdAt: string;
  reasons: string[];
  agents: Partial<Record<AgentName, AgentCalibration>>;
  /**
   * Per model: how the endpoint's token counts compare with tokenflow's tokenizer, learned from every call
   * that carried the server's usage. A run starts from its model's entry and keeps learning.
   */
  tokenizerDrift?: Record<string, TokenizerDrift>;
}

/**
 * Settings of one run, resolved from config by the client and passed as the workflow argument (workflows
 * never read the environment). Holds no secrets.
 */
export interface RunSettings {
  hardCap: number;
  maxPromptTokens: number;
  maxResponseTokens: number;
  /** Words of each report and older debate turn downstream agents read (key-fact digest); 0 or absent: whole. */
  digestWords?: number;
  /**
   * Optimized calls: the stream monitor stops an answer once this many words in a row repeat an earlier
   * passage of it (a runaway); 0 or absent: off.
   */
  repetitionWindowWords?: number;
  sharedLines: Record<'system_context' | 'summary_output' | 'buffer_overhead', number>;
  agents: Record<AgentName, { wordLimit: number; allocation: number }>;
  provider: 'openai' | 'local';
  model: string;
  contextWindow: number;
  /** USD per million tokens, and per hour of model time when the model runs on a machine with a price. */
  prices: {
    inputPerMillion: number;
    cachedInputPerMillion: number;
    outputPerMillion: number;
    perHour?: number;
  };
  /** Task queue of the invoke activity: `<taskQueue>-llm` for an OpenAI-compatible endpoint (its concurrency and rate limits), a one-slot queue for the local model. */
  invokeTaskQueue: string;
  invoke: { startToCloseSeconds: number; heartbeatTimeoutSeconds: number; maximumAttempts: number };
  /** Load the active calibration at start (the learning workflow's output). */
  useCalibration: boolean;
  /** Data lookback in bars. */
  lookbackDays?: number;
  /**
   * `pause`: a call the budget cannot pay for waits (durably, no worker held) until the budget is raised or
   * `pauseTimeoutSeconds` pass, then degrades. Absent or `degrade`: it is trimmed or skipped at once.
   */
  onExhausted?: OnExhausted;
  pauseTimeoutSeconds?: number;
  /** The token pool the run reserves its hard cap from before its first call (see `src/core/pool.ts`). */
  pool?: string;
}

export interface AnalysisInput {
  request: AnalysisRequest;
  settings: RunSettings;
}

/** The structured decision at the end of a run. */
export interface DecisionSummary {
  action: 'BUY' | 'HOLD' | 'SELL';
  confidence: number;
  rationale: string;
  entryPrice?: number;
  stopLoss?: number;
  takeProfit?: number;
  timeHorizon?: string;
}

/** One agent call as the run saw it. */
export interface CallSummary {
  callId: string;
  agent: AgentName;
  round: number;
  budgetLine: BudgetLine;
  promptTokens: number;
  originalPromptTokens: number;
  completionTokens: number;
  cachedPromptTokens?: number;
  /** Tokens of earlier attempts (all attempts when the call got no answer). */
  lostTokens: number;
  usageSource: UsageSource;
  maxTokens: number;
  predictedTokens?: number;
  predictionBasis?: string;
  rawWords: number;
  words: number;
  wordLimit?: number;
  rawCompliant?: boolean;
  truncated: boolean;
  /**
   * Whether the limit step cut this answer to its word limit. Not for the risk manager, whose word limit
   * applies to its decision's rationale (the decision lines end the answer and must not be cut).
   */
  limitEnforced: boolean;
  costUsd?: number;
  latencyMs: number;
  attempts: number;
  /** Every attempt, with how it ended (completed, failed, lost with its worker, cancelled) and its tokens. */
  attemptRecords: AttemptRecord[];
  /** How the answer ended; `failed` or `cancelled` for a call that got no answer but spent tokens. */
  finishReason: string;
  /** Why a call got no answer (its failure's message), when it did not. */
  failure?: string;
}

export type RunPhase =
  | 'starting'
  | 'analysts'
  | 'research-debate'
  | 'research-manager'
  | 'trader'
  | 'risk-debate'
  | 'risk-manager'
  | 'completed'
  | 'cancelled'
  | 'failed';

/**
 * `overrun`: the server billed a call more than it reserved, so the run stopped making calls (its cap could
 * no longer be proven).
 */
export type BudgetStatus = 'within' | 'degraded' | 'exhausted' | 'overrun';

export interface RunProgress {
  phase: RunPhase;
  currentAgents: AgentName[];
  completedCalls: number;
  plannedCalls: number;
  tokensSpent: number;
  hardCap: number;
  costUsd: number;
  degradations: string[];
  budgetStatus: BudgetStatus;
  /** Why the run is paused (one line per waiting call, or its pool), empty when it is not. */
  paused?: string[];
}

export interface AnalysisResult {
  workflowId: string;
  request: AnalysisRequest;
  status: 'completed' | 'cancelled';
  decision?: DecisionSummary;
  /** Why the run ended without a decision (the risk manager did not run, or its answer stayed unreadable). */
  noDecisionReason?: string;
  /** The endpoint's tokenizer drift as the run ended (what its calls taught it). */
  tokenizerDrift?: TokenizerDrift;
  provider: 'openai' | 'local';
  model: string;
  calibrationVersion?: string;
  reports: Partial<Record<AgentName, string>>;
  investmentPlan?: string;
  traderPlan?: string;
  calls: CallSummary[];
  totals: {
    promptTokens: number;
    completionTokens: number;
    lostTokens: number;
    totalTokens: number;
    costUsd: number;
    wallTimeMs: number;
  };
  budget: BudgetSummary;
  budgetStatus: BudgetStatus;
  degradations: string[];
  cancelReason?: string;
  dataSource: string;
}
