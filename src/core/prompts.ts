import {
  CONTEXT_PARTS,
  INPUT_PARTS,
  agentDefinition,
  agentLabel,
  definitionsOfStage,
  type AgentDefinition,
  type AgentName,
  type ContextPart,
  type InputPart,
  type PromptOptions,
} from '../agents';
import { layoutOf, sharedPrefixSections, teamPreamble } from '../agents/prompt-layout';
import type { AgentContext, AnalysisInputs, PromptDraft } from './types';

export type { PromptLayout, PromptOptions } from '../agents';
export { ROLE_SECTION_ID, teamPreamble } from '../agents/prompt-layout';
export { PRICE_TABLE_BARS, renderPriceTable } from '../agents/price-table';
export { SECTION_PRIORITY } from '../agents/sections';

/**
 * Builds each agent's prompt from its definition in `src/agents` (see `downstream-sections.ts` for what
 * baseline and optimized modes send). `role-first` (analysts, and baseline mode as in the origin project,
 * TradingAgents-style): a system prompt naming the role, then the sections. `shared-prefix` (downstream agents
 * in optimized mode): the team preamble every downstream agent shares, the sections in a fixed order, then
 * the role and the task (`src/agents/prompt-layout.ts`, docs/prompt-cache.md).
 */

/** Short role-specific system prompt naming the ticker and date; it never holds configuration or secrets. */
function systemPrompt(definition: AgentDefinition, context: AgentContext): string {
  return `You are the ${agentLabel(definition.name).toLowerCase()} of a trading research team analysing ${context.ticker} as of ${context.date}. ${definition.roleSummary} Base every claim on the material provided and never invent figures.`;
}

function isInputPart(part: string): part is InputPart {
  return (INPUT_PARTS as readonly string[]).includes(part);
}

function isContextPart(part: string): part is ContextPart {
  return (CONTEXT_PARTS as readonly string[]).includes(part);
}

/** The part of `context` an agent declares it reads; what it does not declare never reaches its prompt. */
function readableContext(definition: AgentDefinition, context: AgentContext): AgentContext {
  const readable: AgentContext = { ticker: context.ticker, date: context.date };
  const inputParts = definition.reads.filter(isInputPart);
  if (context.inputs && inputParts.length > 0) {
    const { ticker, date, sourceLabel, isSample } = context.inputs;
    const data = Object.fromEntries(inputParts.map((part) => [part, context.inputs?.[part]]));
    // Only the parts it reads: the others are absent, not empty.
    readable.inputs = { ticker, date, sourceLabel, isSample, ...data } as AnalysisInputs;
  }
  const earlier = definition.reads
    .filter(isContextPart)
    .filter((part) => context[part] !== undefined)
    .map((part) => [part, context[part]]);
  return { ...readable, ...Object.fromEntries(earlier) };
}

/**
 * Builds the prompt draft of one agent call: the system prompt and the user message as sections, laid out as
 * `options.layout` says (by default `shared-prefix` for downstream agents in optimized mode, else `role-first`).
 * No word limit is set here; the Prompt Enhancer adds it in optimized mode. Throws one clear sentence when the
 * role's inputs are missing.
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
  const definition = agentDefinition(agent);
  const sections = definition.sections({
    agent,
    context: readableContext(definition, context),
    options,
    roster: definitionsOfStage,
  });
  if (definition.stage === 'analysts' || layoutOf(options) === 'role-first')
    return { agent, system: systemPrompt(definition, context), sections };
  return {
    agent,
    system: teamPreamble(context),
    // The preamble has named the ticker and the date already.
    sections: sharedPrefixSections(
      sections,
      `You are the ${agentLabel(definition.name).toLowerCase()} of this team. ${definition.roleSummary}`,
    ),
  };
}
