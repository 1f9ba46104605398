import { formatCount, formatPercent, formatUsd } from '../dashboard/format';
import type { DailyReportData } from './daily-report-data';

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/**
 * The report in one plain-text paragraph, fit for a chat message: the day's runs, calls, tokens and cost, the
 * reduction against the baseline and the compliance when the day tells them, and how many alerts it raised.
 */
export function dailySummary(data: DailyReportData): string {
  const usage = data.usage;
  const unpriced =
    usage.callsWithoutCost > 0 ? ` (${plural(usage.callsWithoutCost, 'call')} without a price)` : '';
  const sentences = [
    `tokenflow daily report ${data.day}: ${plural(usage.runs, 'run')} (${formatCount(usage.finishedRuns)} finished), ${plural(usage.calls, 'call')}, ${plural(usage.totalTokens, 'token')}, ${formatUsd(usage.costUsd)}${unpriced}.`,
  ];
  const reduction = usage.reductionAgainstBaseline;
  if (reduction !== undefined) {
    sentences.push(
      `Optimized runs spent ${formatPercent(Math.abs(reduction))} ${reduction >= 0 ? 'fewer' : 'more'} tokens per run than baseline runs.`,
    );
  }
  if (usage.cachedShare !== undefined) {
    sentences.push(`${formatPercent(usage.cachedShare)} of prompt tokens were served from the prompt cache.`);
  }
  if (usage.rawComplianceRate !== undefined) {
    sentences.push(
      `Raw word-limit compliance ${formatPercent(usage.rawComplianceRate)} (target ${formatPercent(data.complianceTarget)}).`,
    );
  }
  sentences.push(data.alerts.length === 0 ? 'No alerts.' : `${plural(data.alerts.length, 'alert')}.`);
  return sentences.join(' ');
}
