import { SHARED_BUDGET_LINES } from '../core/shared-budget-lines';
import {
  AGENT_STAGES,
  CONTEXT_PARTS,
  INPUT_PARTS,
  type AgentDefaults,
  type AgentDefinition,
  type AgentName,
  type AgentOfStage,
  type AgentStage,
  type AnalystAgent,
  type ResearchAgent,
  type RiskDebaterAgent,
} from './agent-definition';
import { aggressiveDebater } from './aggressive-debater';
import { bearResearcher } from './bear-researcher';
import { bullResearcher } from './bull-researcher';
import { conservativeDebater } from './conservative-debater';
import { fundamentalsAnalyst } from './fundamentals-analyst';
import { marketAnalyst } from './market-analyst';
import { neutralDebater } from './neutral-debater';
import { newsAnalyst } from './news-analyst';
import { researchManager } from './research-manager';
import { riskManager } from './risk-manager';
import { socialAnalyst } from './social-analyst';
import { trader } from './trader';

export * from './agent-definition';

/**
 * The built-in agents in pipeline order. Their defaults split the seed's 40K budget; the seed gives the
 * debaters 9,000 tokens together: bull and bear researchers 1,500 each, the three risk debaters 2,000 each.
 */
const BUILT_IN_AGENTS = [
  marketAnalyst,
  newsAnalyst,
  socialAnalyst,
  fundamentalsAnalyst,
  bullResearcher,
  bearResearcher,
  researchManager,
  trader,
  aggressiveDebater,
  conservativeDebater,
  neutralDebater,
  riskManager,
] as const;

/** The built-in agents' names with their stages, the base of `AgentRegistry`. */
export type BuiltInAgentStages = {
  [Agent in (typeof BUILT_IN_AGENTS)[number] as Agent['name']]: Agent['stage'];
};

/** Stages whose one agent the workflow calls by name: its answer is the investment plan, the trader's plan or the decision. */
const SINGLE_AGENT_STAGES: readonly AgentStage[] = ['research-manager', 'trader', 'risk-manager'];

const byStage = Object.fromEntries(AGENT_STAGES.map((stage) => [stage, []])) as unknown as Record<
  AgentStage,
  AgentDefinition[]
>;
const namesOfStage = Object.fromEntries(AGENT_STAGES.map((stage) => [stage, []])) as unknown as Record<
  AgentStage,
  AgentName[]
>;
const names: AgentName[] = [];
const defaults = {} as Record<AgentName, AgentDefaults>;

/*
 * The lists below are live: registering an agent updates them in place, so every module that imported one
 * sees the agent, wherever its import came in the load order.
 */

/** Every registered agent in pipeline order: stage by stage, built-ins first, then in order of registration. */
export const AGENT_NAMES: readonly AgentName[] = names;
export const ANALYST_AGENTS = namesOfStage.analysts as readonly AnalystAgent[];
export const RESEARCH_AGENTS = namesOfStage['research-debate'] as readonly ResearchAgent[];
export const RISK_DEBATER_AGENTS = namesOfStage['risk-debate'] as readonly RiskDebaterAgent[];
/** Each agent's default word limit and allocation: the config's `agents` before any file changes them. */
export const AGENT_DEFAULTS: Readonly<Record<AgentName, AgentDefaults>> = defaults;

/** The agents of a stage in pipeline order (the analysts run concurrently, debaters take turns). */
export function agentsOfStage<Stage extends AgentStage>(stage: Stage): readonly AgentOfStage<Stage>[] {
  return namesOfStage[stage] as AgentOfStage<Stage>[];
}

/** The definitions of a stage's agents in pipeline order. */
export function definitionsOfStage(stage: AgentStage): readonly AgentDefinition[] {
  return byStage[stage];
}

/** True when `value` names a registered agent. */
export function isAgentName(value: string): value is AgentName {
  return (names as readonly string[]).includes(value);
}

/** The definition of a registered agent; throws one sentence naming the agents there are otherwise. */
export function agentDefinition(agent: AgentName): AgentDefinition {
  for (const stage of AGENT_STAGES) {
    const found = byStage[stage].find((definition) => definition.name === agent);
    if (found) return found;
  }
  throw new Error(
    `There is no agent "${String(agent)}" (registered: ${names.join(', ')}); define it under src/agents and register it with registerAgent.`,
  );
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) > 0;
}

/** What is wrong with `definition` as the next registered agent, if anything. */
function registrationProblems(definition: AgentDefinition): string[] {
  const { name, stage, defaults: settings, reportPriority, reads } = definition;
  const problems: string[] = [];
  if (typeof name !== 'string' || !/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/.test(name))
    problems.push('its name must be a snake_case key such as macro_analyst');
  else if (isAgentName(name)) problems.push('an agent of that name is already registered');
  else if ((SHARED_BUDGET_LINES as readonly string[]).includes(name))
    problems.push('that name is a shared budget line');
  if (!(AGENT_STAGES as readonly string[]).includes(stage)) {
    problems.push(`its stage must be one of ${AGENT_STAGES.join(', ')}`);
  } else if (SINGLE_AGENT_STAGES.includes(stage) && byStage[stage].length > 0) {
    problems.push(`stage ${stage} runs one agent, ${byStage[stage].map((other) => other.name).join(', ')}`);
  }
  if (!isPositiveInteger(settings?.wordLimit) || !isPositiveInteger(settings?.allocation))
    problems.push('its defaults need a whole-number wordLimit and allocation');
  if (stage === 'analysts' && typeof reportPriority !== 'number')
    problems.push('an analyst needs a reportPriority (the built-in reports have 50 to 60)');
  if (stage !== 'analysts' && reportPriority !== undefined)
    problems.push('only analysts write the reports a reportPriority ranks');
  const known: readonly string[] = [...INPUT_PARTS, ...CONTEXT_PARTS];
  const unknown = (reads ?? []).filter((part) => !known.includes(part));
  if (!Array.isArray(reads) || unknown.length > 0)
    problems.push(
      `it must read parts among ${known.join(', ')}${unknown.length > 0 ? ` (not ${unknown.join(', ')})` : ''}`,
    );
  else if (stage === 'analysts' && !reads.some((part) => (INPUT_PARTS as readonly string[]).includes(part)))
    problems.push(`an analyst must read at least one of ${INPUT_PARTS.join(', ')}`);
  if (!definition.roleSummary || !definition.brevityGuidance)
    problems.push('it needs a roleSummary and a brevityGuidance');
  if (typeof definition.sections !== 'function') problems.push('its sections must be a function');
  return problems;
}

/**
 * Adds an agent to the roster: it runs in its stage after the agents already there, gets a budget line and
 * config defaults, and the agents downstream of an analyst read its report. Register it in every process
 * of a deployment (client, worker) and in the workflow bundle, before any run starts: a workflows entry
 * that registers it and then re-exports `src/workflows` (see docs/adding-an-agent.md).
 */
export function registerAgent(definition: AgentDefinition): void {
  const problems = registrationProblems(definition);
  if (problems.length > 0) {
    throw new Error(`Cannot register agent "${String(definition.name)}": ${problems.join('; ')}.`);
  }
  byStage[definition.stage].push(definition);
  const ordered = AGENT_STAGES.flatMap((stage) => byStage[stage]);
  names.splice(0, names.length, ...ordered.map((agent) => agent.name));
  for (const stage of AGENT_STAGES) {
    namesOfStage[stage].splice(0, namesOfStage[stage].length, ...byStage[stage].map((agent) => agent.name));
  }
  for (const name of Object.keys(defaults)) delete defaults[name as AgentName];
  for (const agent of ordered) defaults[agent.name] = { ...agent.defaults };
}

for (const definition of BUILT_IN_AGENTS) registerAgent(definition);
