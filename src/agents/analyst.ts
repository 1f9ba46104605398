import type { AgentContext, AnalysisInputs, PromptSection } from '../core/types';
import type { AgentDefaults, AgentDefinition, InputPart } from './agent-definition';
import { instructions, requireInputs, sourceNote } from './sections';

/** How an analyst presents each part of the inputs it reads, in the order its prompt shows them. */
export type AnalystData = {
  [Part in InputPart]?: (value: AnalysisInputs[Part], context: AgentContext) => PromptSection[];
};

/** What makes one analyst: the data it reads and how it presents it, and the report it writes. */
export interface AnalystSpec {
  defaults: AgentDefaults;
  /** How long its report survives when a downstream prompt must be trimmed (the built-in ones have 50 to 60). */
  reportPriority: number;
  roleSummary: string;
  brevityGuidance: string;
  /** The parts of the analysis inputs it reads (its `reads`), each as prompt sections; throw with `fail`. */
  data: AnalystData;
  /** The report it writes: `Write the <report> report on <ticker> as of <date>: <covers>`. */
  report: string;
  covers: string;
}

/**
 * An analyst: it reads its parts of the market data and writes the report every downstream agent reads. Its
 * prompt is its data, then the task to write its report, naming where the data came from.
 */
export function analyst<Name extends string>(
  name: Name,
  spec: AnalystSpec,
): AgentDefinition<Name, 'analysts'> {
  const { data, report, covers, ...definition } = spec;
  const reads = Object.keys(data) as InputPart[];
  const sectionsOf = <Part extends InputPart>(part: Part, inputs: AnalysisInputs, context: AgentContext) =>
    data[part]?.(inputs[part], context) ?? [];
  return {
    name,
    stage: 'analysts',
    ...definition,
    reads,
    sections({ agent, context }) {
      const inputs = requireInputs(agent, context);
      return [
        ...reads.flatMap((part) => sectionsOf(part, inputs, context)),
        instructions(
          `Write the ${report} report on ${context.ticker} as of ${context.date}: ${covers} ${sourceNote(inputs)}`,
        ),
      ];
    },
  };
}
