import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { AgentName } from '../core/agents';
import {
  buildComparisonReport,
  renderComparisonMarkdown,
  summarizeSide,
  type ComparisonReport,
} from '../core/comparison-report';
import type { AnalysisResult } from '../core/run-types';
import type { ChatMessage } from '../core/types';

export interface ComparisonReportInput {
  comparisonId: string;
  baseline: AnalysisResult;
  optimized: AnalysisResult;
}

export interface ComparisonReportOutput {
  reportMarkdownPath: string;
  reportJsonPath: string;
  summary: { tokenRatio: number; costRatio?: number; decisionsAgree: boolean; optimizedFactRecall: number };
}

/**
 * The prompt each agent really received, read from the run's history (the invokeModel inputs), first
 * attempt of the first call per agent (a repair call is not the agent's prompt).
 */
export async function promptsFromHistory(workflowId: string): Promise<Partial<Record<AgentName, string>>> {
  const history = await Context.current().client.workflow.getHandle(workflowId).fetchHistory();
  const prompts: Partial<Record<AgentName, string>> = {};
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'invokeModel') continue;
    const payload = scheduled.input?.payloads?.[0];
    if (!payload) continue;
    const input = defaultPayloadConverter.fromPayload(payload) as {
      agent: AgentName;
      callId: string;
      messages: ChatMessage[];
    };
    if (input.callId.endsWith('/repair') || prompts[input.agent] !== undefined) continue;
    prompts[input.agent] = input.messages.map((message) => message.content).join('\n\n');
  }
  return prompts;
}

/** Writes the A/B report (markdown and JSON) of a compare run under `<dataDir>/reports`. */
export function createComparisonActivities(deps: { reportsDirectory: string }) {
  return {
    async writeComparisonReport(input: ComparisonReportInput): Promise<ComparisonReportOutput> {
      const [baselinePrompts, optimizedPrompts] = await Promise.all([
        promptsFromHistory(input.baseline.workflowId),
        promptsFromHistory(input.optimized.workflowId),
      ]);
      const report: ComparisonReport = buildComparisonReport(
        input.comparisonId,
        summarizeSide(input.baseline, baselinePrompts),
        summarizeSide(input.optimized, optimizedPrompts),
        {
          ticker: input.optimized.request.ticker,
          date: input.optimized.request.date,
          provider: input.optimized.provider,
          model: input.optimized.model,
        },
      );
      mkdirSync(deps.reportsDirectory, { recursive: true });
      const base = path.join(deps.reportsDirectory, input.comparisonId.replace(/[^A-Za-z0-9._-]/g, '_'));
      const reportJsonPath = `${base}.json`;
      const reportMarkdownPath = `${base}.md`;
      writeFileSync(reportJsonPath, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(reportMarkdownPath, renderComparisonMarkdown(report));
      return {
        reportMarkdownPath,
        reportJsonPath,
        summary: {
          tokenRatio: report.ratios.totalTokens,
          costRatio: report.ratios.cost,
          decisionsAgree: report.decisionsAgree,
          optimizedFactRecall: report.optimized.meanFactRecall,
        },
      };
    },
  };
}

export type ComparisonActivities = ReturnType<typeof createComparisonActivities>;
