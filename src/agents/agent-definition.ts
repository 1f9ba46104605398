import type { AgentContext, PipelineMode, PromptSection } from '../core/types';
import type { BuiltInAgentStages } from './index';

/** The stages of an analysis, in order; each runs the agents registered for it (see `agentsOfStage`). */
export const AGENT_STAGES = [
  'analysts',
  'research-debate',
  'research-manager',
  'trader',
  'risk-debate',
  'risk-manager',
] as const;
export type AgentStage = (typeof AGENT_STAGES)[number];

/**
 * Every agent's name with its stage, for the type checker: the built-in agents' entries come from their
 * definitions (`BuiltInAgentStages`, derived from the list in `index.ts`), so the names stay a literal union
 * without a second hand-kept list. An agent defined outside `src/agents` (a plugin, a test) adds its entry by
 * declaration merging, and `registerAgent` adds it at run time:
 *
 * ```ts
 * declare module '../../src/agents/agent-definition' {
 *   interface AgentRegistry {
 *     macro_analyst: 'analysts';
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- extended by declaration merging
export interface AgentRegistry extends BuiltInAgentStages {}

/** The stable snake_case key of an agent in config, budget lines, usage records and reports. */
export type AgentName = keyof AgentRegistry;

/** The agents whose stage is `Stage`. */
export type AgentOfStage<Stage extends AgentStage> = {
  [Name in AgentName]: AgentRegistry[Name] extends Stage ? Name : never;
}[AgentName];

export type AnalystAgent = AgentOfStage<'analysts'>;
export type ResearchAgent = AgentOfStage<'research-debate'>;
export type RiskDebaterAgent = AgentOfStage<'risk-debate'>;

/** Parts of the analysis inputs an analyst may read (the market data of `AnalysisInputs`). */
export const INPUT_PARTS = ['prices', 'indicators', 'news', 'social', 'fundamentals'] as const;
export type InputPart = (typeof INPUT_PARTS)[number];

/** Parts of an agent's context that earlier agents wrote. */
export const CONTEXT_PARTS = [
  'reports',
  'researchDebate',
  'investmentPlan',
  'traderPlan',
  'riskDebate',
] as const;
export type ContextPart = (typeof CONTEXT_PARTS)[number];

/**
 * How a downstream prompt is laid out. `role-first`: the origin project's order, a system prompt naming the
 * agent's role, then what it reads, then its task. `shared-prefix`: a system prompt every downstream agent of
 * the run shares, then what it reads in one fixed order (analyst reports first), then its role and task last,
 * so the prompts of a run share a long token prefix a provider's prefix cache can serve. Analysts always get
 * `role-first`: their prompts share nothing but the ticker and date.
 */
export type PromptLayout = 'role-first' | 'shared-prefix';

export interface PromptOptions {
  mode: PipelineMode;
  /**
   * Undefined: `shared-prefix` in optimized mode, `role-first` in baseline mode, which keeps the origin
   * project's prompts byte for byte (see docs/prompt-cache.md). Benches set it to compare the two.
   */
  layout?: PromptLayout;
  /**
   * Optimized mode: words a downstream agent reads of each analyst report and older debate turn (their
   * key-fact digest, see `selectKeyFactDigest`); undefined or 0 sends them whole.
   */
  digestWords?: number;
  /** The current round (1-based) for debaters; other agents pass 1. */
  round: number;
  totalRounds: number;
}

/** What an agent's section builder is given for one call. */
export interface PromptRequest {
  agent: AgentName;
  /** The agent's context, holding only the parts its definition `reads`. */
  context: AgentContext;
  options: PromptOptions;
  /** The registered agents of a stage in pipeline order: the analysts whose reports it reads, its fellow debaters. */
  roster: (stage: AgentStage) => readonly AgentDefinition[];
}

/** An agent's word limit and token allocation per run before config or calibration changes them. */
export interface AgentDefaults {
  wordLimit: number;
  allocation: number;
}

/** Everything that makes an agent: one definition per file under `src/agents`, registered in `index.ts`. */
export interface AgentDefinition<Name extends string = AgentName, Stage extends AgentStage = AgentStage> {
  name: Name;
  stage: Stage;
  defaults: AgentDefaults;
  /** Analysts only: how long its report survives when a downstream prompt must be trimmed (higher lasts). */
  reportPriority?: number;
  /** What the system prompt says the agent does, after naming it, the ticker and the date. */
  roleSummary: string;
  /** How it keeps within its word limit without dropping what later agents need (the Prompt Enhancer's). */
  brevityGuidance: string;
  /** The inputs (analysts) or earlier agents' work it reads; the rest of its context is withheld from it. */
  reads: readonly (InputPart | ContextPart)[];
  /** The user message as sections: its data or the work it reads, then its task. */
  sections(request: PromptRequest): PromptSection[];
}

/** Human label of an agent for prompts and reports (`market_analyst` -> `Market Analyst`). */
export function agentLabel(agent: AgentName): string {
  return agent
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}
