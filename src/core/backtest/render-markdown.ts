import type { PipelineMode } from '../types';
import type { BacktestEvery } from './plan';
import { decisionHit } from './scoring';
import { BACKTEST_MODE_ORDER, type BacktestEntry, type BacktestSummary, type ModeSummary } from './summary';

/** A finished backtest: what was asked, every run, and the summary of them (the JSON report is this object). */
export interface BacktestReport {
  backtestId: string;
  ticker: string;
  from: string;
  to: string;
  every: BacktestEvery;
  /** The batch budget, when one was set. */
  budgetTokens?: number;
  /** ISO timestamp. */
  generatedAt: string;
  entries: BacktestEntry[];
  summary: BacktestSummary;
}

const DECISION_ORDER = ['BUY', 'HOLD', 'SELL'];

const DATES_OF: Record<BacktestEvery, string> = {
  day: 'every bar',
  week: 'the last bar of each ISO week',
  month: 'the last bar of each calendar month',
};

function groupDigits(value: number): string {
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

function formatUsd(value: number | undefined): string {
  if (value === undefined) return 'unknown';
  return `$${value.toFixed(value >= 1 ? 2 : 4)}`;
}

function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function formatReturn(value: number | undefined): string {
  if (value === undefined) return '–';
  const percent = (value * 100).toFixed(2);
  return value > 0 ? `+${percent}%` : `${percent}%`;
}

/** Keeps a free-text cell (a failure message) from breaking the table. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function decisionCounts(decisions: Record<string, number>): string {
  const names = [
    ...DECISION_ORDER.filter((name) => decisions[name] !== undefined),
    ...Object.keys(decisions)
      .filter((name) => !DECISION_ORDER.includes(name))
      .sort(),
  ];
  return names.length === 0 ? '–' : names.map((name) => `${name} ${decisions[name]}`).join(', ');
}

function hitRateCell(summary: ModeSummary): string {
  if (summary.hitRate === undefined) return 'not scored';
  const interval = summary.interval
    ? `; ${formatPercent(summary.interval.low)}–${formatPercent(summary.interval.high)}`
    : '';
  return `${formatPercent(summary.hitRate)} (${summary.hits} of ${summary.scored}${interval})`;
}

function modeRow(mode: PipelineMode, summary: ModeSummary, entries: readonly BacktestEntry[]): string {
  const cancelled = summary.dates - summary.completed - summary.failed - summary.skipped;
  const ran = entries.filter((entry) => entry.mode === mode && entry.status !== 'skipped');
  const unknownCosts = ran.filter((entry) => entry.costUsd === undefined).length;
  const cost =
    unknownCosts > 0 && unknownCosts === ran.length
      ? 'unknown'
      : formatUsd(summary.costUsd) +
        (unknownCosts > 0 ? ` (cost of ${unknownCosts} ${unknownCosts === 1 ? 'run' : 'runs'} unknown)` : '');
  return row([
    mode,
    String(summary.dates),
    [
      `${summary.completed} completed`,
      summary.failed > 0 ? `${summary.failed} failed` : '',
      summary.skipped > 0 ? `${summary.skipped} skipped` : '',
      cancelled > 0 ? `${cancelled} cancelled` : '',
    ]
      .filter(Boolean)
      .join(', '),
    decisionCounts(summary.decisions),
    hitRateCell(summary),
    `${summary.scored} / ${summary.decisions.HOLD ?? 0}`,
    groupDigits(summary.totalTokens),
    cost,
    summary.tokensPerCompletedRun === undefined ? '–' : groupDigits(summary.tokensPerCompletedRun),
  ]);
}

function statusCell(entry: BacktestEntry): string {
  return entry.reason === undefined ? entry.status : `${entry.status}: ${cell(entry.reason)}`;
}

function hitCell(entry: BacktestEntry): string {
  const hit = decisionHit(entry.decision, entry.forwardReturn);
  return hit === undefined ? '–' : hit ? '✓' : '✗';
}

function entryOrder(left: BacktestEntry, right: BacktestEntry): number {
  const byDate = left.date < right.date ? -1 : left.date > right.date ? 1 : 0;
  return byDate || BACKTEST_MODE_ORDER.indexOf(left.mode) - BACKTEST_MODE_ORDER.indexOf(right.mode);
}

/**
 * The backtest as a markdown page: the parameters, a table per mode (hit rate with its 95% Wilson interval,
 * scored calls and holds, tokens, cost), how often the modes agree when both ran, and one row per run. The same
 * report always renders to the same text.
 */
export function renderBacktestMarkdown(report: BacktestReport): string {
  const { summary } = report;
  const lines: string[] = [
    `# Backtest of ${report.ticker}, ${report.from} to ${report.to}, every ${report.every}`,
    '',
    `- Backtest: \`${report.backtestId}\``,
    `- Dates: ${DATES_OF[report.every]} from ${report.from} to ${report.to}, each scored on the return to the next`,
    `- Batch budget: ${report.budgetTokens === undefined ? 'none (each run kept only its own cap)' : `${groupDigits(report.budgetTokens)} tokens`}`,
    `- Generated: ${report.generatedAt}`,
    '- A hit is a BUY before the price rose, or a SELL before it fell, by the close of the next period; HOLD, runs without a decision and the last date without a known return are not scored.',
    '',
    '## Summary',
    '',
    row([
      'Mode',
      'Dates',
      'Runs',
      'Decisions',
      'Hit rate (hits of scored; 95% CI)',
      'Scored / holds',
      'Tokens',
      'Cost',
      'Tokens per completed run',
    ]),
    row(['---', '---:', '---', '---', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const mode of BACKTEST_MODE_ORDER) {
    const modeSummary = summary.modes[mode];
    if (modeSummary) lines.push(modeRow(mode, modeSummary, report.entries));
  }
  if (summary.agreement) {
    const { compared, same, rate } = summary.agreement;
    lines.push(
      '',
      compared === 0
        ? 'Agreement: no date has a decision from both baseline and optimized.'
        : `Agreement: baseline and optimized decided the same on ${same} of the ${compared} dates where both decided (${formatPercent(rate ?? 0)}).`,
    );
  }
  lines.push(
    '',
    '## Dates',
    '',
    row(['Date', 'Mode', 'Decision', 'Forward return', 'Hit', 'Tokens', 'Cost', 'Status']),
    row(['---', '---', '---', '---:', ':---:', '---:', '---:', '---']),
  );
  for (const entry of [...report.entries].sort(entryOrder)) {
    lines.push(
      row([
        entry.date,
        entry.mode,
        entry.decision ?? '–',
        formatReturn(entry.forwardReturn),
        hitCell(entry),
        groupDigits(entry.totalTokens),
        entry.status === 'skipped' ? '–' : formatUsd(entry.costUsd),
        statusCell(entry),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}
