/**
 * The shared lines of a run's budget, beside one line per agent: the seed's allocation of system & context,
 * summary & output, buffer & overhead. No agent may take one of these names.
 */
export const SHARED_BUDGET_LINES = ['system_context', 'summary_output', 'buffer_overhead'] as const;
export type SharedBudgetLine = (typeof SHARED_BUDGET_LINES)[number];
