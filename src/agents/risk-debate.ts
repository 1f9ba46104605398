import { agentLabel, type AgentDefinition, type PromptRequest } from './agent-definition';
import {
  baselineDebates,
  debateSections,
  planSection,
  reportSections,
  requirePlan,
  requireRound,
  roundNote,
} from './downstream-sections';
import { instructions } from './sections';

/**
 * A debater of the risk review: its name says its point of view (`aggressive_debater`), its role summary what
 * it argues for. The seed gives the three debaters 2,000 tokens each.
 */
export function riskDebater<Name extends string>(debater: {
  name: Name;
  roleSummary: string;
}): AgentDefinition<Name, 'risk-debate'> {
  return {
    ...debater,
    stage: 'risk-debate',
    defaults: { wordLimit: 200, allocation: 2000 },
    brevityGuidance: 'Make the one or two points the others missed; do not restate the plan.',
    // In baseline mode it reads the research debate too.
    reads: ['reports', 'traderPlan', 'riskDebate', 'researchDebate'],
    sections: riskDebaterSections,
  };
}

function riskDebaterSections(request: PromptRequest) {
  requireRound(request);
  const { agent, context, options, roster } = request;
  const plan = requirePlan(request, 'traderPlan');
  const turns = context.riskDebate ?? [];
  const others = roster('risk-debate')
    .map((debater) => debater.name)
    .filter((other) => other !== agent && turns.some((turn) => turn.agent === other));
  const answer =
    others.length > 0
      ? ` Answer the latest points of the ${others.map((other) => agentLabel(other).toLowerCase()).join(' and the ')} where you disagree.`
      : '';
  const view = agent.replace('_debater', '');
  return [
    ...reportSections(request),
    ...baselineDebates(request, { risk: true }),
    planSection('trader-plan', plan),
    ...debateSections(turns, { kind: 'participant', agent }, options),
    instructions(
      `Assess the trader's plan for ${context.ticker} from the ${view} point of view: what it gains or risks, and what you would change (size, entry, stop).${answer} ${roundNote(options)}`,
    ),
  ];
}
