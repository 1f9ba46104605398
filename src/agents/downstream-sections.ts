import type { DebateTurn, PromptSection } from '../core/types';
import {
  agentLabel,
  type AgentName,
  type AnalystAgent,
  type PromptOptions,
  type PromptRequest,
} from './agent-definition';
import { SECTION_PRIORITY, fail } from './sections';

/**
 * What agents after the analysts read: the analysts' reports, the plans and the debates. In `baseline` mode
 * every downstream agent receives all analyst reports and both debates in full, as the origin project did
 * (the cause of its 218K tokens per run). In `optimized` mode each role receives what its role needs, with
 * reports and older debate turns marked condensable so the context manager may replace them by digests.
 */

/** What the section builders need of the prompt options. */
type SectionOptions = Pick<PromptOptions, 'mode' | 'digestWords'>;

/** The digest target of the sections a downstream reader may read condensed; none in baseline mode. */
function digestTarget(options: SectionOptions): number | undefined {
  return options.mode === 'optimized' && options.digestWords ? options.digestWords : undefined;
}

/** Every registered analyst's report, in pipeline order; at least one must be there. */
export function reportSections({ agent, context, options, roster }: PromptRequest): PromptSection[] {
  const { mode } = options;
  const digestWords = digestTarget(options);
  const sections: PromptSection[] = [];
  for (const analyst of roster('analysts')) {
    const text = context.reports?.[analyst.name as AnalystAgent];
    if (!text || text.trim() === '') continue;
    sections.push({
      id: `report:${analyst.name}`,
      title: `${agentLabel(analyst.name)} report`,
      kind: 'report',
      text,
      // registerAgent refuses an analyst without one.
      priority: analyst.reportPriority ?? 0,
      condensable: mode === 'optimized',
      ...(digestWords !== undefined ? { digestWords } : {}),
      author: analyst.name,
    });
  }
  if (sections.length === 0)
    fail(agent, context, 'needs at least one analyst report; run the analysts first');
  return sections;
}

export function planSection(id: 'investment-plan' | 'trader-plan', text: string): PromptSection {
  const investment = id === 'investment-plan';
  return {
    id,
    title: investment ? 'Investment plan (research manager)' : "Trader's plan",
    kind: 'plan',
    text,
    priority: SECTION_PRIORITY.plan,
    condensable: false,
    author: investment ? 'research_manager' : 'trader',
  };
}

export function requirePlan(
  { agent, context }: PromptRequest,
  plan: 'investmentPlan' | 'traderPlan',
): string {
  const text = context[plan];
  if (!text || text.trim() === '') {
    fail(
      agent,
      context,
      plan === 'investmentPlan'
        ? "needs the research manager's investment plan; run the research manager first"
        : "needs the trader's plan; run the trader first",
    );
  }
  return text;
}

/**
 * How a reader relates to a debate: a participant answers its opponents' latest turns, a judge weighs each
 * side's closing turn, a bystander (baseline mode only) reads everything at equal weight.
 */
export type DebateReader =
  { kind: 'participant'; agent: AgentName } | { kind: 'judge' } | { kind: 'bystander' };

function latestTurnIndexByAuthor(turns: readonly DebateTurn[]): Map<AgentName, number> {
  const latest = new Map<AgentName, number>();
  turns.forEach((turn, index) => latest.set(turn.agent, index));
  return latest;
}

export function debateSections(
  turns: readonly DebateTurn[],
  reader: DebateReader,
  options: SectionOptions,
): PromptSection[] {
  const { mode } = options;
  const digestWords = digestTarget(options);
  const latest = latestTurnIndexByAuthor(turns);
  const usedIds = new Set<string>();
  return turns.map((turn, index) => {
    const isLatestOfAuthor = latest.get(turn.agent) === index;
    let priority: number = SECTION_PRIORITY.olderTurn;
    if (reader.kind === 'participant' && isLatestOfAuthor) {
      priority =
        turn.agent === reader.agent ? SECTION_PRIORITY.ownLatestTurn : SECTION_PRIORITY.latestOpposingTurn;
    } else if (reader.kind === 'judge' && isLatestOfAuthor) {
      priority = SECTION_PRIORITY.closingTurn;
    }
    let id = `debate:${turn.agent}:${turn.round}`;
    for (let suffix = 2; usedIds.has(id); suffix += 1) id = `debate:${turn.agent}:${turn.round}:${suffix}`;
    usedIds.add(id);
    return {
      id,
      title: `${agentLabel(turn.agent)}, round ${turn.round}`,
      kind: 'debate-turn',
      text: turn.text,
      priority,
      condensable: mode === 'optimized' && priority < SECTION_PRIORITY.closingTurn,
      // Older turns (and a debater's own last turn) are read as digests; the turns to answer stay whole.
      ...(digestWords !== undefined && priority < SECTION_PRIORITY.closingTurn ? { digestWords } : {}),
      author: turn.agent,
      round: turn.round,
    };
  });
}

/**
 * A manager's view of the debate it closes (judged in optimized mode, read at equal weight in baseline), and
 * how its task opens: weighing the debate, or saying there was none.
 */
export function judgedDebate(
  { context, options }: PromptRequest,
  debate: 'researchDebate' | 'riskDebate',
  opening: { weigh: string; none: string },
): { sections: PromptSection[]; opening: string } {
  const turns = context[debate] ?? [];
  return {
    sections: debateSections(
      turns,
      options.mode === 'optimized' ? { kind: 'judge' } : { kind: 'bystander' },
      options,
    ),
    opening: turns.length > 0 ? opening.weigh : opening.none,
  };
}

export function requireRound({ agent, context, options }: PromptRequest): void {
  const { round, totalRounds } = options;
  if (!Number.isInteger(round) || !Number.isInteger(totalRounds) || round < 1 || round > totalRounds) {
    fail(
      agent,
      context,
      `got round ${round} of ${totalRounds}; a debate round must be between 1 and the round count`,
    );
  }
}

export function roundNote(options: PromptOptions): string {
  const last =
    options.round === options.totalRounds ? ' It is the last round: end with your conclusion.' : '';
  return `This is round ${options.round} of ${options.totalRounds}.${last}`;
}

/**
 * Baseline extras: what a downstream agent receives beyond its role's needs in the origin project's
 * behaviour, namely every debate turn so far, at bystander weight; none in optimized mode.
 */
export function baselineDebates(
  { context, options }: PromptRequest,
  skip: { research?: boolean; risk?: boolean },
): PromptSection[] {
  if (options.mode !== 'baseline') return [];
  return [
    ...(skip.research
      ? []
      : debateSections(context.researchDebate ?? [], { kind: 'bystander' }, { mode: 'baseline' })),
    ...(skip.risk
      ? []
      : debateSections(context.riskDebate ?? [], { kind: 'bystander' }, { mode: 'baseline' })),
  ];
}
