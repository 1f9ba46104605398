import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config';
import { agentLabel } from '../../core/agents';
import { ledgerLocationOf, openUsageStore } from '../../storage/usage-store';

/** How the report names the finish reasons of answers. */
const FINISH_LABELS: Record<string, string> = {
  stop: 'by themselves',
  length: 'at max_tokens',
  limit: 'at the token ceiling (stream monitor)',
  repetition: 'stopped looping',
};

/** `tokenflow report [--day YYYY-MM-DD]`: the daily usage and cost report, with alerts. */
export async function reportCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      day: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const config = loadConfig({ file: values.config });
  const day = values.day ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`--day must be YYYY-MM-DD (got "${day}").`);
  const store = await openUsageStore(ledgerLocationOf(config));
  try {
    const report = await store.dailyReport(day);
    const runs = (await store.listRuns({ since: day })).filter((run) => run.startedAt.slice(0, 10) === day);
    const alerts: string[] = [];
    if (report.costUsd > config.alerts.dailyCostUsd) {
      alerts.push(
        `daily cost $${report.costUsd.toFixed(4)} is over the $${config.alerts.dailyCostUsd} alert threshold`,
      );
    }
    for (const run of runs) {
      const cap = run.budgetTokens ?? config.tokens.maxTotalTokens;
      if (run.totalTokens >= cap * config.alerts.budgetUsedFraction) {
        alerts.push(
          `${run.workflowId} used ${run.totalTokens} of ${cap} tokens (over ${config.alerts.budgetUsedFraction * 100}%)`,
        );
      }
      if (run.budgetStatus !== 'within')
        alerts.push(`${run.workflowId} ended with budget status ${run.budgetStatus}`);
    }
    if (
      report.rawComplianceRate !== undefined &&
      report.rawComplianceRate < config.tokens.wordLimitCompliance
    ) {
      alerts.push(
        `raw word-limit compliance ${(report.rawComplianceRate * 100).toFixed(1)}% is under the ${config.tokens.wordLimitCompliance * 100}% target`,
      );
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...report, alerts }, null, 2)}\n`);
      return;
    }
    const lines = [
      `tokenflow daily report ${day}`,
      `runs ${report.runs} (finished ${report.finishedRuns}), calls ${report.calls}`,
      `tokens ${report.totalTokens} (prompt ${report.promptTokens}, completion ${report.completionTokens}, lost ${report.lostTokens})`,
      `cost $${report.costUsd.toFixed(6)}${report.callsWithoutCost ? ` (+${report.callsWithoutCost} calls without a price)` : ''}`,
      `word-limit compliance raw ${report.rawComplianceRate === undefined ? 'n/a' : `${(report.rawComplianceRate * 100).toFixed(1)}%`}, truncated ${report.truncationRate === undefined ? 'n/a' : `${(report.truncationRate * 100).toFixed(1)}%`}`,
      report.promptReduction === undefined
        ? undefined
        : `prompt reduction ${(report.promptReduction * 100).toFixed(1)}%`,
      Object.keys(report.finishReasons).length === 0
        ? undefined
        : `answers ended: ${Object.entries(report.finishReasons)
            .map(([reason, count]) => `${FINISH_LABELS[reason] ?? reason} ${count}`)
            .join(', ')}`,
      '',
      'per agent: calls, mean prompt, mean completion, cost',
      ...report.perAgent.map(
        (entry) =>
          `  ${agentLabel(entry.agent).padEnd(22)} ${String(entry.calls).padStart(4)} ${entry.meanPromptTokens.toFixed(0).padStart(7)} ${entry.meanCompletionTokens.toFixed(0).padStart(7)}  $${entry.totalCostUsd.toFixed(6)}`,
      ),
      '',
      alerts.length ? 'ALERTS:' : 'No alerts.',
      ...alerts.map((alert) => `  - ${alert}`),
    ].filter((line): line is string => line !== undefined);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await store.close();
  }
}
