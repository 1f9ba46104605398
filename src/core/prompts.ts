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
import type { AgentContext, AnalysisInputs, PromptDraft } from './types';

export type { PromptOptions } from '../agents';
export { PRICE_TABLE_BARS, renderPriceTable } from '../agents/price-table';
export { SECTION_PRIORITY } from '../agents/sections';

/**
 * Builds each agent's prompt, TradingAgents-style, from its definition in `src/agents`: a system prompt naming
 * its role, then its sections (see `downstream-sections.ts` for what baseline and optimized modes send).
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
  const definition = agentDefinition(agent);
  const sections = definition.sections({
    agent,
    context: readableContext(definition, context),
    options,
    roster: definitionsOfStage,
  });
  return { agent, system: systemPrompt(definition, context), sections };
}
