// Alert rules: which threshold breaches a finished run or a day's usage raises. Pure: the alert activities read
// the ledger and the config, record what this returns (once per key) and deliver it to the webhook.
import type { DailyReport } from './usage-report';

/** The rules by name: one vocabulary for the ledger, the webhook payload and the dashboard. */
export const ALERT_RULE = {
  /** A run spent more than `budgetUsedFraction` of its hard cap. */
  RunBudgetUsed: 'run_budget_used',
  /** An agent spent more than `agentAllocationFraction` of its budget line's allocation. */
  AgentOverAllocation: 'agent_over_allocation',
  /** A run ended with its budget exhausted. */
  RunExhausted: 'run_exhausted',
  /** A run failed. */
  RunFailed: 'run_failed',
  /** A day's cost passed `dailyCostUsd`. */
  DailyCost: 'daily_cost',
  /** A day's raw word-limit compliance fell under the target. */
  ComplianceUnderTarget: 'compliance_under_target',
  /** An agent's prediction error over a day passed `predictionErrorFraction`. */
  PredictionErrorDrift: 'prediction_error_drift',
} as const;

export type AlertRule = (typeof ALERT_RULE)[keyof typeof ALERT_RULE];

/** One breach. `key` names it: the same breach seen again (a retry, the daily sweep) has the same key. */
export interface Alert {
  key: string;
  rule: AlertRule;
  /** The UTC day (`YYYY-MM-DD`) the breach belongs to. */
  day: string;
  workflowId?: string;
  agent?: string;
  message: string;
  /** The measured value and the threshold it crossed, in the rule's unit (tokens, USD or a fraction). */
  value: number;
  threshold: number;
}

/** The thresholds (the `alerts` config and the compliance target of `tokens`). */
export interface AlertThresholds {
  budgetUsedFraction: number;
  agentAllocationFraction: number;
  dailyCostUsd: number;
  complianceTarget: number;
  predictionErrorFraction: number;
  minimumCalls: number;
}

/** What the run rules read of a finished run. */
export interface RunAlertFacts {
  workflowId: string;
  /** The UTC day the run finished. */
  day: string;
  /** `within`, `degraded`, `exhausted`, `cancelled` or `failed`. */
  budgetStatus: string;
  totalTokens: number;
  /** The run's hard cap, when known. */
  budgetTokens?: number;
  /** The agents' budget lines at the end of the run, when the run reported them. */
  lines?: ReadonlyArray<{ agent: string; allocation: number; spent: number }>;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** The alerts of one finished run. */
export function runAlerts(run: RunAlertFacts, thresholds: AlertThresholds): Alert[] {
  const alerts: Alert[] = [];
  const base = { day: run.day, workflowId: run.workflowId };
  if (run.budgetTokens !== undefined && run.budgetTokens > 0) {
    const used = run.totalTokens / run.budgetTokens;
    if (used > thresholds.budgetUsedFraction) {
      alerts.push({
        ...base,
        key: `${ALERT_RULE.RunBudgetUsed}:${run.workflowId}`,
        rule: ALERT_RULE.RunBudgetUsed,
        message: `Run ${run.workflowId} used ${run.totalTokens} of its ${run.budgetTokens} tokens (${percent(used)}, over the ${percent(thresholds.budgetUsedFraction)} alert threshold).`,
        value: used,
        threshold: thresholds.budgetUsedFraction,
      });
    }
  }
  if (run.budgetStatus === 'exhausted' || run.budgetStatus === 'failed') {
    const rule = run.budgetStatus === 'exhausted' ? ALERT_RULE.RunExhausted : ALERT_RULE.RunFailed;
    alerts.push({
      ...base,
      key: `${rule}:${run.workflowId}`,
      rule,
      message:
        rule === ALERT_RULE.RunExhausted
          ? `Run ${run.workflowId} exhausted its budget after ${run.totalTokens} tokens.`
          : `Run ${run.workflowId} failed after spending ${run.totalTokens} tokens.`,
      value: run.totalTokens,
      threshold: run.budgetTokens ?? 0,
    });
  }
  for (const line of run.lines ?? []) {
    const ceiling = line.allocation * thresholds.agentAllocationFraction;
    if (line.allocation > 0 && line.spent > ceiling) {
      alerts.push({
        ...base,
        agent: line.agent,
        key: `${ALERT_RULE.AgentOverAllocation}:${run.workflowId}:${line.agent}`,
        rule: ALERT_RULE.AgentOverAllocation,
        message: `${line.agent} spent ${line.spent} tokens in run ${run.workflowId}, over its allocation of ${line.allocation}${thresholds.agentAllocationFraction === 1 ? '' : ` x ${thresholds.agentAllocationFraction}`}.`,
        value: line.spent,
        threshold: ceiling,
      });
    }
  }
  return alerts;
}

/** The day's spend alert, when its cost so far passes the threshold (checked as each run ends). */
export function dailyCostAlerts(day: string, costUsd: number, thresholds: AlertThresholds): Alert[] {
  if (costUsd <= thresholds.dailyCostUsd) return [];
  return [
    {
      key: `${ALERT_RULE.DailyCost}:${day}`,
      rule: ALERT_RULE.DailyCost,
      day,
      message: `${day}: spend $${costUsd.toFixed(4)} is over the $${thresholds.dailyCostUsd} daily alert threshold.`,
      value: costUsd,
      threshold: thresholds.dailyCostUsd,
    },
  ];
}

/** The alerts of one day's usage: spend, compliance and prediction error (rates over enough calls only). */
export function dayAlerts(report: DailyReport, thresholds: AlertThresholds): Alert[] {
  const { day } = report;
  const alerts: Alert[] = dailyCostAlerts(day, report.costUsd, thresholds);
  const judged = report.perAgent.reduce(
    (sum, agent) => sum + (agent.rawComplianceRate === undefined ? 0 : agent.calls),
    0,
  );
  if (
    report.rawComplianceRate !== undefined &&
    judged >= thresholds.minimumCalls &&
    report.rawComplianceRate < thresholds.complianceTarget
  ) {
    alerts.push({
      key: `${ALERT_RULE.ComplianceUnderTarget}:${day}`,
      rule: ALERT_RULE.ComplianceUnderTarget,
      day,
      message: `${day}: raw word-limit compliance ${percent(report.rawComplianceRate)} is under the ${percent(thresholds.complianceTarget)} target.`,
      value: report.rawComplianceRate,
      threshold: thresholds.complianceTarget,
    });
  }
  for (const agent of report.perAgent) {
    if (agent.mape === undefined || agent.predictedCalls < thresholds.minimumCalls) continue;
    if (agent.mape <= thresholds.predictionErrorFraction) continue;
    alerts.push({
      key: `${ALERT_RULE.PredictionErrorDrift}:${day}:${agent.agent}`,
      rule: ALERT_RULE.PredictionErrorDrift,
      day,
      agent: agent.agent,
      message: `${day}: ${agent.agent}'s predicted completion tokens were off by ${percent(agent.mape)} on average over ${agent.predictedCalls} calls (threshold ${percent(thresholds.predictionErrorFraction)}).`,
      value: agent.mape,
      threshold: thresholds.predictionErrorFraction,
    });
  }
  return alerts;
}

/**
 * Every alert the ledger shows for a day: the day rules, and the run rules of each run that finished that day (as
 * the ledger keeps them: without budget lines, so no over-allocation alerts, which only a run's end can raise).
 */
export function ledgerDayAlerts(
  report: DailyReport,
  finishedRuns: ReadonlyArray<Omit<RunAlertFacts, 'day' | 'lines'>>,
  thresholds: AlertThresholds,
): Alert[] {
  return [
    ...dayAlerts(report, thresholds),
    ...finishedRuns.flatMap((run) =>
      runAlerts(
        {
          workflowId: run.workflowId,
          day: report.day,
          budgetStatus: run.budgetStatus,
          totalTokens: run.totalTokens,
          ...(run.budgetTokens === undefined ? {} : { budgetTokens: run.budgetTokens }),
        },
        thresholds,
      ),
    ),
  ];
}

/** A Slack-compatible incoming-webhook body: `text` for any receiver, a block with the same text for Slack. */
export interface WebhookMessage {
  text: string;
  blocks: Array<{ type: 'section'; text: { type: 'mrkdwn'; text: string } }>;
}

/** The webhook body of a message; `text` is plain, so a receiver that ignores blocks loses nothing. */
export function webhookMessage(text: string): WebhookMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** The webhook body of an alert: its message, its rule and key (receivers can deduplicate on the key). */
export function alertMessage(alert: Alert, link?: string): WebhookMessage {
  return webhookMessage(
    `:warning: tokenflow alert (${alert.rule}): ${alert.message}${link ? ` ${link}` : ''} [${alert.key}]`,
  );
}
