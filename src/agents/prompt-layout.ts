import type { AgentContext, PromptSection } from '../core/types';
import type { AgentStage, PromptLayout, PromptOptions } from './agent-definition';
import { agentDefinition } from './index';

/**
 * The `shared-prefix` layout of a downstream prompt (see {@link PromptLayout}): providers cache prompt
 * prefixes (OpenAI from 1,024 tokens in 128-token steps, llama.cpp's server any prefix of its slot), so every
 * downstream agent's prompt opens with the same bytes: the team preamble as the system message, then the
 * analyst reports (digests in optimized mode, built the same way for every reader). After them come the parts
 * that only some agents read, in an order that lets a prompt extend the prompts of the calls just before it;
 * the agent's role and task come last.
 */

/** Id of the section that names the agent's role in a `shared-prefix` prompt; the enhancer adds the word limit to it. */
export const ROLE_SECTION_ID = 'role';

/** The layout a prompt gets when its options do not name one: baseline keeps the origin project's. */
export function layoutOf(options: Pick<PromptOptions, 'mode' | 'layout'>): PromptLayout {
  return options.layout ?? (options.mode === 'optimized' ? 'shared-prefix' : 'role-first');
}

/** The system message every downstream agent of a run shares: nothing in it names the agent. */
export function teamPreamble(context: Pick<AgentContext, 'ticker' | 'date'>): string {
  return `You are a member of a trading research team analysing ${context.ticker} as of ${context.date}. The analyst reports and the team's work so far come first; your role and task follow them. Base every claim on the material provided and never invent figures.`;
}

export function roleSection(text: string): PromptSection {
  return {
    id: ROLE_SECTION_ID,
    title: 'Your role',
    kind: 'instructions',
    text,
    priority: 100,
    condensable: false,
  };
}

/**
 * Where the work of each stage goes, by the stage of its author. Reports, read by everyone, open the prompt.
 * Then the calls' order, except the investment plan, which goes last: only the trader and the risk manager
 * read it, and after the risk debate it lets the risk manager's prompt extend the last risk debater's (reports,
 * trader's plan, the debate) rather than the trader's (reports, investment plan).
 */
const STAGE_POSITION: Readonly<Record<AgentStage, number>> = {
  analysts: 0,
  'research-debate': 1,
  trader: 2,
  'risk-debate': 3,
  'research-manager': 4,
  'risk-manager': 5,
};

/** Position of a section in the shared part, or undefined when it belongs after the role (the task). */
function sharedPosition(section: PromptSection): number | undefined {
  if (section.kind !== 'report' && section.kind !== 'debate-turn' && section.kind !== 'plan')
    return undefined;
  if (section.author === undefined) return Object.keys(STAGE_POSITION).length;
  return STAGE_POSITION[agentDefinition(section.author).stage];
}

/**
 * The sections of a `shared-prefix` prompt: what the agent reads, ordered by {@link STAGE_POSITION} (in their
 * own order within a stage, so a debate reads in turn order), then its role, then the rest (the task).
 */
export function sharedPrefixSections(sections: readonly PromptSection[], role: string): PromptSection[] {
  const positioned = sections.map((section, index) => ({
    section,
    index,
    position: sharedPosition(section),
  }));
  const shared = positioned
    .filter((entry) => entry.position !== undefined)
    .sort((left, right) => (left.position ?? 0) - (right.position ?? 0) || left.index - right.index)
    .map((entry) => entry.section);
  const own = positioned.filter((entry) => entry.position === undefined).map((entry) => entry.section);
  return [...shared, roleSection(role), ...own];
}
