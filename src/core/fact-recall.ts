import { AGENT_NAMES, ANALYST_AGENTS, agentLabel, type AnalystAgent } from './agents';
import { extractFacts } from './fact-check';
import { finalStance } from './stance';

/** A fact an analyst wrote that downstream agents should still see. */
export interface KeyFact {
  analyst: AnalystAgent;
  kind: 'figure' | 'conclusion';
  /** Normalised figure or date, or the stance word of a conclusion. */
  value: string;
}

const FIGURES_PER_REPORT = 8;

/** The stance of a report: the last stance word of its text (where analysts put their conclusion). */
export const reportStance = finalStance;

/**
 * Key facts of a run's analyst reports: each analyst's conclusion and its first figures and dates (which
 * carry the input data the analyst chose to cite), at most eight per report.
 */
export function keyFacts(reports: Partial<Record<AnalystAgent, string>>): KeyFact[] {
  const facts: KeyFact[] = [];
  for (const analyst of ANALYST_AGENTS) {
    const report = reports[analyst];
    if (!report) continue;
    const stance = reportStance(report);
    if (stance) facts.push({ analyst, kind: 'conclusion', value: stance });
    const figures = [...extractFacts(report)].filter((fact) => /\d/.test(fact)).slice(0, FIGURES_PER_REPORT);
    for (const value of figures) facts.push({ analyst, kind: 'figure', value });
  }
  return facts;
}

/**
 * Headings the prompt builder renders after a report. A model's answer may contain `## ` headings of its own
 * (a small model often echoes `## Task`), so a report section ends at the next report, debate turn or plan
 * heading, or at the prompt's closing instructions, which are its last `## Task` (or `## Length`) heading.
 * Built when used, so an agent registered after this module loaded has its headings in it.
 */
function nextPromptSection(): RegExp {
  return new RegExp(
    `\\n## (?:${[...AGENT_NAMES.map((agent) => `${agentLabel(agent)}(?: report|, round)`), 'Investment plan', "Trader's plan"].join('|')})`,
    'g',
  );
}
const CLOSING_HEADINGS = ['\n## Task', '\n## Length'];

/** The text under the `## <Analyst> report` heading of a rendered prompt (a digest or the full report). */
function reportSection(prompt: string, analyst: AnalystAgent): string | undefined {
  const heading = `## ${agentLabel(analyst)} report`;
  const start = prompt.indexOf(heading);
  if (start === -1) return undefined;
  const nextSection = nextPromptSection();
  nextSection.lastIndex = start + heading.length;
  const next = nextSection.exec(prompt);
  const closing = CLOSING_HEADINGS.map((closingHeading) => prompt.lastIndexOf(closingHeading)).filter(
    (index) => index > start,
  );
  const end = Math.min(next ? next.index : prompt.length, ...closing);
  return prompt.slice(start, end);
}

export interface FactRecall {
  total: number;
  reached: number;
  recall: number;
  missing: KeyFact[];
}

/**
 * Share of key facts that reach a prompt: a figure reaches it when the prompt contains it anywhere (the same
 * normalisation as the compression check); a conclusion reaches it when the analyst's report section in the
 * prompt states the same stance.
 */
export function factRecall(facts: KeyFact[], prompt: string): FactRecall {
  const available = extractFacts(prompt);
  const missing: KeyFact[] = [];
  for (const fact of facts) {
    if (fact.kind === 'figure') {
      if (!available.has(fact.value)) missing.push(fact);
      continue;
    }
    const section = reportSection(prompt, fact.analyst);
    if (!section || reportStance(section) !== fact.value) missing.push(fact);
  }
  const reached = facts.length - missing.length;
  return { total: facts.length, reached, recall: facts.length === 0 ? 1 : reached / facts.length, missing };
}
