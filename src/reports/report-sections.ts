// The report's content as sections of notes and tables of text: the markdown and the HTML renderings both read
// these, so the two always show the same figures.
import { agentLabel } from '../core/agents';
import type { AgentStatistics, DailyModeTotals } from '../core/usage-report';
import { formatCount, formatPercent, formatTimestamp, formatUsd, UNKNOWN } from '../dashboard/format';
import type { DailyReportData } from './daily-report-data';
import { ALERT_STATUS_LABEL } from './report-alerts';

/** A table cell: text, or text linking somewhere. */
export type ReportCell = string | { text: string; href: string };

/** A column of a report table; numbers are right-aligned. */
export interface ReportColumn {
  label: string;
  number?: boolean;
}

export interface ReportTable {
  columns: ReportColumn[];
  rows: ReportCell[][];
  /** What to say instead of an empty table. */
  empty: string;
}

/** Ids of the sections; the HTML rendering puts its charts by them. */
export type ReportSectionId =
  | 'totals'
  | 'reduction'
  | 'modes'
  | 'models'
  | 'agents'
  | 'compliance'
  | 'prediction'
  | 'runs'
  | 'endings'
  | 'alerts';

export interface ReportSection {
  id: ReportSectionId;
  title: string;
  notes: string[];
  table: ReportTable;
}

/** How the report names the ways answers ended. */
const ENDING_LABELS: Readonly<Record<string, string>> = {
  stop: 'by themselves',
  length: 'at max_tokens',
  limit: 'at the token ceiling (stream monitor)',
  repetition: 'stopped looping',
};

/** Everything an agent's calls put on the bill: prompt, completion and what failed attempts lost. */
export function agentTokens(agent: AgentStatistics): { prompt: number; completion: number; total: number } {
  // The statistics keep means; times the call count they give the sums back.
  const prompt = Math.round(agent.meanPromptTokens * agent.calls);
  const completion = Math.round(agent.meanCompletionTokens * agent.calls);
  return { prompt, completion, total: prompt + completion + agent.totalLostTokens };
}

function number(label: string): ReportColumn {
  return { label, number: true };
}

function totalsRows(totals: Readonly<Record<string, DailyModeTotals>>): ReportCell[][] {
  return Object.keys(totals)
    .sort()
    .map((name) => {
      const entry = totals[name] as DailyModeTotals;
      return [
        name,
        formatCount(entry.runs),
        formatCount(entry.calls),
        formatCount(entry.totalTokens),
        entry.runs > 0 ? formatCount(entry.totalTokens / entry.runs) : UNKNOWN,
        formatUsd(entry.costUsd),
      ];
    });
}

const TOTALS_COLUMNS = [
  number('Runs'),
  number('Calls'),
  number('Tokens'),
  number('Tokens per run'),
  number('Cost'),
];

function totalsSection(data: DailyReportData): ReportSection {
  const usage = data.usage;
  return {
    id: 'totals',
    title: 'Totals',
    notes: [],
    table: {
      columns: [{ label: 'Figure' }, number('Value')],
      rows: [
        ['Runs with calls', formatCount(usage.runs)],
        ['Runs finished', formatCount(usage.finishedRuns)],
        ['Calls', formatCount(usage.calls)],
        ['Prompt tokens', formatCount(usage.promptTokens)],
        ['of which cached', formatCount(usage.cachedPromptTokens)],
        // Over the calls whose server reported a cached count; unknown when none did.
        ['Cached share of prompt tokens', formatPercent(usage.cachedShare)],
        ['Completion tokens', formatCount(usage.completionTokens)],
        ['Lost tokens (failed attempts)', formatCount(usage.lostTokens)],
        ['Total tokens', formatCount(usage.totalTokens)],
        ['Cost', formatUsd(usage.costUsd)],
        ['Calls without a price (not in the cost)', formatCount(usage.callsWithoutCost)],
      ],
      empty: '',
    },
  };
}

function reductionSection(data: DailyReportData): ReportSection {
  const { reductionAgainstBaseline, promptReduction } = data.usage;
  const notes: string[] = [];
  if (reductionAgainstBaseline === undefined) {
    notes.push(
      'No reduction against the baseline: it needs baseline and optimized runs on the same day (tokenflow compare makes a pair).',
    );
  }
  return {
    id: 'reduction',
    title: 'Reduction against the baseline',
    notes,
    table: {
      columns: [{ label: 'Measure' }, number('Reduction')],
      rows: [
        ['Tokens per optimized run against tokens per baseline run', formatPercent(reductionAgainstBaseline)],
        ['Prompt tokens sent against the unoptimized prompts', formatPercent(promptReduction)],
      ],
      empty: '',
    },
  };
}

function agentsSection(data: DailyReportData): ReportSection {
  return {
    id: 'agents',
    title: 'Per agent',
    notes: [],
    table: {
      columns: [
        { label: 'Agent' },
        number('Calls'),
        number('Prompt tokens'),
        number('Cached share'),
        number('Completion tokens'),
        number('Lost tokens'),
        number('Total tokens'),
        number('Cost'),
        number('Calls without a price'),
      ],
      rows: data.usage.perAgent.map((agent) => {
        const tokens = agentTokens(agent);
        return [
          agentLabel(agent.agent),
          formatCount(agent.calls),
          formatCount(tokens.prompt),
          formatPercent(agent.cachedShare),
          formatCount(tokens.completion),
          formatCount(agent.totalLostTokens),
          formatCount(tokens.total),
          formatUsd(agent.totalCostUsd),
          formatCount(agent.callsWithoutCost),
        ];
      }),
      empty: 'No calls recorded this day.',
    },
  };
}

function complianceSection(data: DailyReportData): ReportSection {
  const usage = data.usage;
  return {
    id: 'compliance',
    title: 'Word-limit compliance',
    notes: [
      `Raw compliance ${formatPercent(usage.rawComplianceRate)} (target ${formatPercent(data.complianceTarget)}); answers cut by the limiter ${formatPercent(usage.truncationRate)}.`,
    ],
    table: {
      columns: [{ label: 'Agent' }, number('Calls'), number('Raw compliance'), number('Truncated')],
      rows: usage.perAgent.map((agent) => [
        agentLabel(agent.agent),
        formatCount(agent.calls),
        formatPercent(agent.rawComplianceRate),
        formatPercent(agent.truncationRate),
      ]),
      empty: 'No calls recorded this day.',
    },
  };
}

function predictionSection(data: DailyReportData): ReportSection {
  return {
    id: 'prediction',
    title: 'Prediction error',
    notes: ['Mean absolute percentage error of predicted against actual completion tokens.'],
    table: {
      columns: [
        { label: 'Agent' },
        number('Predicted calls'),
        number('Mean predicted'),
        number('Mean actual completion'),
        number('MAPE'),
      ],
      rows: data.usage.perAgent
        .filter((agent) => agent.predictedCalls > 0)
        .map((agent) => [
          agentLabel(agent.agent),
          formatCount(agent.predictedCalls),
          formatCount(agent.meanPredictedTokens),
          formatCount(agent.meanActualCompletionTokens),
          formatPercent(agent.mape),
        ]),
      empty: 'No call carried a prediction this day.',
    },
  };
}

function countsNote(label: string, counts: Readonly<Record<string, number>>): string | undefined {
  const entries = Object.entries(counts).sort(([left], [right]) => (left < right ? -1 : 1));
  if (entries.length === 0) return undefined;
  return `${label}: ${entries.map(([name, count]) => `${name} ${count}`).join(', ')}.`;
}

function runsSection(data: DailyReportData): ReportSection {
  const linked = data.expensiveRuns.some((run) => run.temporalHref !== undefined);
  return {
    id: 'runs',
    title: 'Most expensive runs',
    notes: [
      countsNote('Finished runs by budget status', data.usage.budgetStatuses),
      countsNote('Finished runs by decision', data.usage.decisions),
    ].filter((note): note is string => note !== undefined),
    table: {
      columns: [
        { label: 'Run' },
        { label: 'Ticker' },
        { label: 'Mode' },
        number('Tokens'),
        number('Cost'),
        { label: 'Decision' },
        { label: 'Budget status' },
        ...(linked ? [{ label: 'Temporal UI' }] : []),
      ],
      rows: data.expensiveRuns.map((run) => [
        run.workflowId,
        run.ticker,
        run.mode,
        formatCount(run.totalTokens),
        run.costUsd === undefined ? UNKNOWN : formatUsd(run.costUsd),
        run.decision ?? 'none',
        run.budgetStatus,
        ...(linked ? [run.temporalHref ? { text: 'open', href: run.temporalHref } : UNKNOWN] : []),
      ]),
      empty: 'No run finished this day.',
    },
  };
}

function endingsSection(data: DailyReportData): ReportSection {
  return {
    id: 'endings',
    title: 'How answers ended',
    notes: [],
    table: {
      columns: [{ label: 'Ending' }, number('Calls')],
      rows: Object.entries(data.usage.finishReasons).map(([reason, count]) => [
        ENDING_LABELS[reason] ? `${ENDING_LABELS[reason]} (${reason})` : reason,
        formatCount(count),
      ]),
      empty: 'No call recorded how its answer ended.',
    },
  };
}

function alertsSection(data: DailyReportData): ReportSection {
  return {
    id: 'alerts',
    title: 'Alerts',
    notes: [],
    table: {
      columns: [{ label: 'Status' }, { label: 'Rule' }, { label: 'Message' }, { label: 'Raised' }],
      rows: data.alerts.map((alert) => [
        ALERT_STATUS_LABEL[alert.status],
        alert.rule,
        alert.message,
        alert.raisedAt === undefined ? UNKNOWN : formatTimestamp(alert.raisedAt),
      ]),
      empty: 'No alerts.',
    },
  };
}

/** The report's sections, in reading order. */
export function reportSections(data: DailyReportData): ReportSection[] {
  const usage = data.usage;
  return [
    totalsSection(data),
    reductionSection(data),
    {
      id: 'modes',
      title: 'Per mode',
      notes: [],
      table: {
        columns: [{ label: 'Mode' }, ...TOTALS_COLUMNS],
        rows: totalsRows(usage.byMode),
        empty: 'No calls.',
      },
    },
    {
      id: 'models',
      title: 'Per model',
      notes: [],
      table: {
        columns: [{ label: 'Model' }, ...TOTALS_COLUMNS],
        rows: totalsRows(usage.byModel),
        empty: 'No calls.',
      },
    },
    agentsSection(data),
    complianceSection(data),
    predictionSection(data),
    runsSection(data),
    endingsSection(data),
    alertsSection(data),
  ];
}
