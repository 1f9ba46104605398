import type { AgentContext, AnalysisInputs, PromptSection, PromptSectionKind } from '../core/types';
import { agentLabel, type AgentName } from './agent-definition';

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

/** Throws the one sentence that says which prompt could not be built and what to do. */
export function fail(agent: AgentName, context: AgentContext, what: string): never {
  throw new Error(
    `The ${agentLabel(agent).toLowerCase()} prompt for ${context.ticker} on ${context.date} ${what}.`,
  );
}

/** The task, always the prompt's last section before the enhancer's reminder. */
export function instructions(text: string): PromptSection {
  return {
    id: 'task',
    title: 'Task',
    kind: 'instructions',
    text,
    priority: SECTION_PRIORITY.instructions,
    condensable: false,
  };
}

export function requireInputs(agent: AgentName, context: AgentContext): AnalysisInputs {
  if (!context.inputs) fail(agent, context, 'needs the analysis inputs; load the market data first');
  return context.inputs;
}

/** Where the data came from, and a warning when it is a labelled sample. */
export function sourceNote(inputs: AnalysisInputs): string {
  return `Data source: ${inputs.sourceLabel}${inputs.isSample ? ' (sample data, not live; say so if it matters)' : ''}.`;
}

/** One part of an analyst's own data, kept whole: the optimizer compresses it losslessly, never condenses it. */
export function dataSection(id: string, title: string, kind: PromptSectionKind, text: string): PromptSection {
  return { id, title, kind, text, priority: SECTION_PRIORITY.analystData, condensable: false };
}

/**
 * A list of dated items (news, posts) as one section each, `<kind>:1`, `<kind>:2`, ...; an empty list is a
 * finding, not an error, so it becomes one section saying so.
 */
export function itemSections(
  kind: 'news' | 'social',
  itemTitle: string,
  items: readonly string[],
  none: { title: string; text: string },
): PromptSection[] {
  if (items.length === 0) return [dataSection(`${kind}:none`, none.title, 'text', none.text)];
  return items.map((text, index) =>
    dataSection(`${kind}:${index + 1}`, `${itemTitle} ${index + 1}`, kind, text),
  );
}
