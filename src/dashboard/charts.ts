// Chart.js configurations as plain JSON: the server builds them, the page embeds them, and the browser script
// hands each one to `new Chart(...)` unchanged, so what a chart shows is decided (and tested) here.
import { isRepairCall } from '../core/agents';
import { BACKTEST_MODE_ORDER, type BacktestEntry } from '../core/backtest';
import { PIPELINE_MODES } from './query-parameters';
import type { RunBreakdown } from './run-breakdown';
import type { DailySeries } from './trends';

/** One data series of a chart. */
export interface ChartDataset {
  label: string;
  data: number[];
  backgroundColor: string;
  borderColor?: string;
  stack?: string;
  type?: 'line' | 'bar';
  yAxisID?: string;
}

/** The part of Chart.js's configuration the dashboard uses; JSON only (no callbacks). */
export interface ChartConfig {
  type: 'bar' | 'line';
  data: { labels: string[]; datasets: ChartDataset[] };
  options: Record<string, unknown>;
}

const COLOURS = {
  prompt: '#4e79a7',
  cachedPrompt: '#a0cbe8',
  completion: '#59a14f',
  lost: '#e15759',
  predicted: '#bab0ac',
  optimized: '#4e79a7',
  baseline: '#f28e2b',
} as const;

// No animation: the page is read at a glance, screenshots and tests see the final picture at once.
const COMMON_OPTIONS = { responsive: true, maintainAspectRatio: false, animation: false };

function stackedOptions(horizontal: boolean): Record<string, unknown> {
  return {
    ...COMMON_OPTIONS,
    ...(horizontal ? { indexAxis: 'y' } : {}),
    scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true, beginAtZero: true } },
  };
}

/** How a call is named on a chart axis and in the run page's table. */
export function callLabel(call: { agent: string; round: number; callId: string }): string {
  return `${call.agent} round ${call.round}${isRepairCall(call.callId) ? ' (decision repair)' : ''}`;
}

/**
 * Each call's tokens stacked by kind: the prompt's uncached and cached parts, the completion and what earlier
 * attempts lost. Cached is part of the prompt, so the bar's length is what the call put on the bill.
 */
export function callTokensChart(breakdown: RunBreakdown): ChartConfig {
  const calls = breakdown.calls;
  return {
    type: 'bar',
    data: {
      labels: calls.map(callLabel),
      datasets: [
        {
          label: 'prompt (not cached)',
          data: calls.map((call) => call.promptTokens - (call.cachedPromptTokens ?? 0)),
          backgroundColor: COLOURS.prompt,
        },
        {
          label: 'prompt (cached)',
          data: calls.map((call) => call.cachedPromptTokens ?? 0),
          backgroundColor: COLOURS.cachedPrompt,
        },
        {
          label: 'completion',
          data: calls.map((call) => call.completionTokens),
          backgroundColor: COLOURS.completion,
        },
        { label: 'lost', data: calls.map((call) => call.lostTokens), backgroundColor: COLOURS.lost },
      ],
    },
    options: stackedOptions(true),
  };
}

/** Predicted against actual completion tokens of the calls that carried a prediction. */
export function predictionChart(breakdown: RunBreakdown): ChartConfig {
  const calls = breakdown.calls.filter((call) => call.predictedTokens !== undefined);
  return {
    type: 'bar',
    data: {
      labels: calls.map(callLabel),
      datasets: [
        {
          label: 'predicted',
          data: calls.map((call) => call.predictedTokens ?? 0),
          backgroundColor: COLOURS.predicted,
        },
        {
          label: 'actual completion',
          data: calls.map((call) => call.completionTokens),
          backgroundColor: COLOURS.completion,
        },
      ],
    },
    options: { ...COMMON_OPTIONS, scales: { y: { beginAtZero: true } } },
  };
}

/** Tokens of each day's runs, stacked by mode. */
export function tokensPerDayChart(series: DailySeries): ChartConfig {
  return {
    type: 'bar',
    data: {
      labels: series.days,
      datasets: PIPELINE_MODES.map((mode) => ({
        label: `${mode} tokens`,
        data: series.totalTokens[mode],
        backgroundColor: COLOURS[mode],
      })),
    },
    options: stackedOptions(false),
  };
}

/** Cost (USD) of each day's runs, one line per mode. */
export function costPerDayChart(series: DailySeries): ChartConfig {
  return {
    type: 'line',
    data: {
      labels: series.days,
      datasets: PIPELINE_MODES.map((mode) => ({
        label: `${mode} cost (USD)`,
        data: series.costUsd[mode].map((value) => Math.round(value * 1e6) / 1e6),
        backgroundColor: COLOURS[mode],
        borderColor: COLOURS[mode],
      })),
    },
    options: { ...COMMON_OPTIONS, scales: { y: { beginAtZero: true } } },
  };
}

/**
 * Tokens a backtest had spent by each of its dates, one line per mode that ran: where the batch budget went and
 * how much faster the baseline spends it.
 */
export function backtestTokensChart(entries: readonly BacktestEntry[]): ChartConfig {
  const dates = [...new Set(entries.map((entry) => entry.date))].sort();
  const modes = BACKTEST_MODE_ORDER.filter((mode) => entries.some((entry) => entry.mode === mode));
  return {
    type: 'line',
    data: {
      labels: dates,
      datasets: modes.map((mode) => {
        let spent = 0;
        return {
          label: `${mode} tokens, cumulative`,
          data: dates.map((date) => {
            for (const entry of entries) {
              if (entry.mode === mode && entry.date === date) spent += entry.totalTokens;
            }
            return spent;
          }),
          backgroundColor: COLOURS[mode],
          borderColor: COLOURS[mode],
        };
      }),
    },
    options: { ...COMMON_OPTIONS, scales: { y: { beginAtZero: true } } },
  };
}
