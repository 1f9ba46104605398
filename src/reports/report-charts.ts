// Chart.js configurations of the daily report, plain JSON as the dashboard's own (`src/dashboard/charts.ts`).
import { agentLabel } from '../core/agents';
import type { DailyModeTotals, DailyReport } from '../core/usage-report';
import type { ChartConfig } from '../dashboard/charts';
import { agentTokens } from './report-sections';

const COLOURS = { prompt: '#4e79a7', completion: '#59a14f', lost: '#e15759', cost: '#f28e2b' } as const;

// No animation: a report is read at a glance, and printed or saved as it first appears.
const COMMON_OPTIONS = { responsive: true, maintainAspectRatio: false, animation: false };

/** Each agent's tokens stacked by kind. */
export function agentTokensChart(usage: DailyReport): ChartConfig {
  const tokens = usage.perAgent.map(agentTokens);
  return {
    type: 'bar',
    data: {
      labels: usage.perAgent.map((agent) => agentLabel(agent.agent)),
      datasets: [
        { label: 'prompt', data: tokens.map((entry) => entry.prompt), backgroundColor: COLOURS.prompt },
        {
          label: 'completion',
          data: tokens.map((entry) => entry.completion),
          backgroundColor: COLOURS.completion,
        },
        {
          label: 'lost',
          data: usage.perAgent.map((agent) => agent.totalLostTokens),
          backgroundColor: COLOURS.lost,
        },
      ],
    },
    options: {
      ...COMMON_OPTIONS,
      indexAxis: 'y',
      scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
    },
  };
}

/** Tokens (bars, left axis) and cost in USD (bars, right axis) of each mode or model. */
export function tokensAndCostChart(totals: Readonly<Record<string, DailyModeTotals>>): ChartConfig {
  const names = Object.keys(totals).sort();
  const entries = names.map((name) => totals[name] as DailyModeTotals);
  return {
    type: 'bar',
    data: {
      labels: names,
      datasets: [
        {
          label: 'tokens',
          data: entries.map((entry) => entry.totalTokens),
          backgroundColor: COLOURS.prompt,
          yAxisID: 'tokens',
        },
        {
          label: 'cost (USD)',
          data: entries.map((entry) => Math.round(entry.costUsd * 1e6) / 1e6),
          backgroundColor: COLOURS.cost,
          yAxisID: 'cost',
        },
      ],
    },
    options: {
      ...COMMON_OPTIONS,
      scales: {
        tokens: {
          type: 'linear',
          position: 'left',
          beginAtZero: true,
          title: { display: true, text: 'tokens' },
        },
        cost: {
          type: 'linear',
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'USD' },
        },
      },
    },
  };
}
