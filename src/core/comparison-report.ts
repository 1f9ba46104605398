import { agentLabel, agentsOfStage, type AgentName, type AnalystAgent } from './agents';
import { factRecall, keyFacts, type FactRecall } from './fact-recall';
import type { AnalysisResult } from './run-types';
import { cachedShareOf } from './usage-report';

/** Agents whose prompts fact recall is measured on: where the reports are consumed for decisions. */
export const RECALL_AGENTS = [
  'research_manager',
  'trader',
  'risk_manager',
] as const satisfies readonly AgentName[];

export interface SideSummary {
  workflowId: string;
  promptTokens: number;
  completionTokens: number;
  lostTokens: number;
  totalTokens: number;
  /** Billed with the cached-input price for the prompt tokens the provider served from its cache. */
  costUsd: number;
  wallTimeMs: number;
  calls: number;
  /** Prompt tokens the provider served from its prompt cache; undefined when no call reported a count. */
  cachedPromptTokens?: number;
  /** Cached prompt tokens / prompt tokens, over the calls that reported a count ({@link cachedShareOf}). */
  cachedShare?: number;
  /** The same share over the agents after the analysts, whose prompts are laid out to share a prefix. */
  downstreamCachedShare?: number;
  rawCompliance?: number;
  enforcedCompliance?: number;
  /** Mean absolute percentage error of predicted vs actual completion tokens, where predicted. */
  predictionMape?: number;
  decision?: string;
  /** Calls the budget or the model's window could not pay for, and why. */
  degradations: string[];
  factRecall: Partial<Record<(typeof RECALL_AGENTS)[number], FactRecall>>;
  meanFactRecall: number;
  perAgent: Array<{
    agent: AgentName;
    promptTokens: number;
    completionTokens: number;
    /** Undefined when none of the agent's calls reported a cached count. */
    cachedPromptTokens?: number;
    costUsd: number;
    words: number;
  }>;
}

export interface ComparisonReport {
  comparisonId: string;
  ticker: string;
  date: string;
  provider: string;
  model: string;
  baseline: SideSummary;
  optimized: SideSummary;
  ratios: {
    totalTokens: number;
    promptTokens: number;
    completionTokens: number;
    cost?: number;
    wallTime: number;
  };
  decisionsAgree: boolean;
}

/** `{ [key]: value }`, or nothing when the value is unknown (JSON keeps unknown apart from zero by its absence). */
function optional<Key extends string>(key: Key, value: number | undefined): Partial<Record<Key, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<Key, number>);
}

function mean(values: number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Summarises one side from its result and the prompts its recall agents really received. */
export function summarizeSide(
  result: AnalysisResult,
  prompts: Partial<Record<AgentName, string>>,
): SideSummary {
  const reports: Partial<Record<AnalystAgent, string>> = {};
  for (const analyst of agentsOfStage('analysts')) {
    if (result.reports[analyst]) reports[analyst] = result.reports[analyst];
  }
  const facts = keyFacts(reports);
  const recall: SideSummary['factRecall'] = {};
  for (const agent of RECALL_AGENTS) {
    const prompt = prompts[agent];
    if (prompt !== undefined) recall[agent] = factRecall(facts, prompt);
  }
  const limited = result.calls.filter(
    (call) => call.wordLimit !== undefined && call.rawCompliant !== undefined,
  );
  const predicted = result.calls.filter(
    (call) => call.predictedTokens !== undefined && call.completionTokens > 0,
  );
  const perAgent = new Map<AgentName, SideSummary['perAgent'][number]>();
  for (const call of result.calls) {
    const entry = perAgent.get(call.agent) ?? {
      agent: call.agent,
      promptTokens: 0,
      completionTokens: 0,
      costUsd: 0,
      words: 0,
    };
    entry.promptTokens += call.promptTokens + call.lostTokens;
    entry.completionTokens += call.completionTokens;
    if (call.cachedPromptTokens !== undefined)
      entry.cachedPromptTokens = (entry.cachedPromptTokens ?? 0) + call.cachedPromptTokens;
    entry.costUsd += call.costUsd ?? 0;
    entry.words += call.words;
    perAgent.set(call.agent, entry);
  }
  const cachedCalls = result.calls.filter((call) => call.cachedPromptTokens !== undefined);
  const analysts: readonly AgentName[] = agentsOfStage('analysts');
  const downstream = result.calls.filter((call) => !analysts.includes(call.agent));
  const cached = {
    ...(cachedCalls.length > 0
      ? { cachedPromptTokens: cachedCalls.reduce((sum, call) => sum + (call.cachedPromptTokens ?? 0), 0) }
      : {}),
    ...optional('cachedShare', cachedShareOf(result.calls)),
    ...optional('downstreamCachedShare', cachedShareOf(downstream)),
  };
  return {
    workflowId: result.workflowId,
    promptTokens: result.totals.promptTokens,
    completionTokens: result.totals.completionTokens,
    lostTokens: result.totals.lostTokens,
    totalTokens: result.totals.totalTokens,
    costUsd: result.totals.costUsd,
    wallTimeMs: result.totals.wallTimeMs,
    calls: result.calls.length,
    ...cached,
    rawCompliance: mean(limited.map((call) => (call.rawCompliant ? 1 : 0))),
    enforcedCompliance: mean(
      limited
        .filter((call) => call.limitEnforced)
        .map((call) => (call.words <= (call.wordLimit ?? Number.MAX_SAFE_INTEGER) ? 1 : 0)),
    ),
    predictionMape: mean(
      predicted.map(
        (call) => Math.abs((call.predictedTokens as number) - call.completionTokens) / call.completionTokens,
      ),
    ),
    decision: result.decision?.action,
    degradations: result.degradations,
    factRecall: recall,
    meanFactRecall: mean(Object.values(recall).map((entry) => entry.recall)) ?? 0,
    perAgent: [...perAgent.values()],
  };
}

export function buildComparisonReport(
  comparisonId: string,
  baseline: SideSummary,
  optimized: SideSummary,
  context: { ticker: string; date: string; provider: string; model: string },
): ComparisonReport {
  const ratio = (optimizedValue: number, baselineValue: number) =>
    baselineValue > 0 ? optimizedValue / baselineValue : 0;
  return {
    comparisonId,
    ...context,
    baseline,
    optimized,
    ratios: {
      totalTokens: ratio(optimized.totalTokens, baseline.totalTokens),
      promptTokens: ratio(optimized.promptTokens, baseline.promptTokens),
      completionTokens: ratio(optimized.completionTokens, baseline.completionTokens),
      cost: baseline.costUsd > 0 ? optimized.costUsd / baseline.costUsd : undefined,
      wallTime: ratio(optimized.wallTimeMs, baseline.wallTimeMs),
    },
    decisionsAgree: baseline.decision !== undefined && baseline.decision === optimized.decision,
  };
}

function percent(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

/** A token count, or `n/a` when the provider did not report it. */
function count(value: number | undefined): string {
  return value === undefined ? 'n/a' : String(value);
}

/** The side-by-side report as markdown. */
export function renderComparisonMarkdown(report: ComparisonReport): string {
  const { baseline, optimized, ratios } = report;
  const row = (label: string, left: string, right: string, ratio = '') =>
    `| ${label} | ${left} | ${right} | ${ratio} |`;
  const lines = [
    `# A/B comparison ${report.comparisonId}`,
    '',
    `${report.ticker} on ${report.date}, ${report.provider}: ${report.model}. Baseline = the origin project's behaviour (no word limits, no optimizer, no limiter, every report and the whole debate to every downstream agent); optimized = tokenflow's pipeline.`,
    '',
    '| metric | baseline | optimized | optimized/baseline |',
    '|---|---:|---:|---:|',
    row(
      'total tokens',
      String(baseline.totalTokens),
      String(optimized.totalTokens),
      ratios.totalTokens.toFixed(3),
    ),
    row(
      'prompt tokens',
      String(baseline.promptTokens),
      String(optimized.promptTokens),
      ratios.promptTokens.toFixed(3),
    ),
    row(
      'completion tokens',
      String(baseline.completionTokens),
      String(optimized.completionTokens),
      ratios.completionTokens.toFixed(3),
    ),
    row('cached prompt tokens', count(baseline.cachedPromptTokens), count(optimized.cachedPromptTokens)),
    row('cached share of prompt tokens', percent(baseline.cachedShare), percent(optimized.cachedShare)),
    row(
      'cached share, agents after the analysts',
      percent(baseline.downstreamCachedShare),
      percent(optimized.downstreamCachedShare),
    ),
    row(
      'cost (USD, cached tokens at the cached price)',
      baseline.costUsd.toFixed(6),
      optimized.costUsd.toFixed(6),
      ratios.cost === undefined ? 'n/a' : ratios.cost.toFixed(3),
    ),
    row(
      'wall time (s)',
      (baseline.wallTimeMs / 1000).toFixed(1),
      (optimized.wallTimeMs / 1000).toFixed(1),
      ratios.wallTime.toFixed(3),
    ),
    row('agent calls', String(baseline.calls), String(optimized.calls)),
    row('word-limit compliance, raw', percent(baseline.rawCompliance), percent(optimized.rawCompliance)),
    row(
      'word-limit compliance, enforced',
      percent(baseline.enforcedCompliance),
      percent(optimized.enforcedCompliance),
    ),
    row('prediction MAPE', percent(baseline.predictionMape), percent(optimized.predictionMape)),
    row(
      'fact recall (mean of RM, trader, risk manager)',
      percent(baseline.meanFactRecall),
      percent(optimized.meanFactRecall),
    ),
    row(
      'decision',
      baseline.decision ?? 'none',
      optimized.decision ?? 'none',
      report.decisionsAgree ? 'agree' : 'differ',
    ),
    '',
    '## Per agent',
    '',
    '| agent | baseline prompt | baseline cached | baseline completion | optimized prompt | optimized cached | optimized completion |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const agents = new Set([
    ...baseline.perAgent.map((entry) => entry.agent),
    ...optimized.perAgent.map((entry) => entry.agent),
  ]);
  for (const agent of agents) {
    const left = baseline.perAgent.find((entry) => entry.agent === agent);
    const right = optimized.perAgent.find((entry) => entry.agent === agent);
    lines.push(
      `| ${agentLabel(agent)} | ${left?.promptTokens ?? 0} | ${count(left?.cachedPromptTokens)} | ${left?.completionTokens ?? 0} | ${right?.promptTokens ?? 0} | ${count(right?.cachedPromptTokens)} | ${right?.completionTokens ?? 0} |`,
    );
  }
  lines.push(
    '',
    '## Fact recall per downstream agent',
    '',
    '| agent | baseline | optimized | missing in optimized |',
    '|---|---:|---:|---|',
  );
  for (const agent of RECALL_AGENTS) {
    const left = baseline.factRecall[agent];
    const right = optimized.factRecall[agent];
    const missing = right?.missing.map((fact) => `${fact.analyst}:${fact.value}`).join(', ') || '';
    lines.push(
      `| ${agentLabel(agent)} | ${percent(left?.recall)} | ${percent(right?.recall)} | ${missing} |`,
    );
  }
  for (const [label, side] of [
    ['baseline', baseline],
    ['optimized', optimized],
  ] as const) {
    if (side.degradations.length === 0) continue;
    lines.push('', `Degradations of the ${label} run:`, ...side.degradations.map((entry) => `- ${entry}`));
  }
  return `${lines.join('\n')}\n`;
}
