import { agentLabel, type AgentDefinition, type PromptRequest, type ResearchAgent } from './agent-definition';
import {
  baselineDebates,
  debateSections,
  reportSections,
  requireRound,
  roundNote,
} from './downstream-sections';
import { instructions } from './sections';

/** One side of the bull/bear debate: the researcher it rebuts, and whether it argues for investing or against. */
export interface ResearchSide<Name extends string> {
  name: Name;
  stance: 'for' | 'against';
  opponent: ResearchAgent;
}

/**
 * A researcher of the bull/bear debate, the mirror image of its opponent. Each turn reads the reports and the
 * debate so far (its opponent's latest turn whole) and rebuts that turn, or opens the debate. The seed gives
 * the two researchers 1,500 tokens each.
 */
export function researcher<Name extends string>(
  side: ResearchSide<Name>,
): AgentDefinition<Name, 'research-debate'> {
  const { name, stance, opponent } = side;
  return {
    name,
    stage: 'research-debate',
    defaults: { wordLimit: 300, allocation: 1500 },
    roleSummary: `You argue the case ${stance} investing, with evidence from the analyst reports, and rebut the ${agentLabel(opponent).toLowerCase()}.`,
    brevityGuidance: "Answer the other side's strongest point first; do not repeat earlier rounds.",
    // In baseline mode it reads the risk debate too.
    reads: ['reports', 'researchDebate', 'riskDebate'],
    sections: (request) => researcherSections(request, side),
  };
}

function researcherSections(request: PromptRequest, side: ResearchSide<string>) {
  requireRound(request);
  const { agent, context, options } = request;
  const { opponent, stance } = side;
  const turns = context.researchDebate ?? [];
  const opposing = [...turns].reverse().find((turn) => turn.agent === opponent);
  const answer = opposing
    ? `Rebut the ${agentLabel(opponent).toLowerCase()}'s latest argument (round ${opposing.round}) point by point, then make the strongest evidence-based case ${stance} investing in ${context.ticker}.`
    : `Open the debate with the strongest evidence-based case ${stance} investing in ${context.ticker}.`;
  return [
    ...reportSections(request),
    ...debateSections(turns, { kind: 'participant', agent }, options),
    ...baselineDebates(request, { research: true }),
    instructions(`${answer} ${roundNote(options)}`),
  ];
}
