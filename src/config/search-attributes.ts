/**
 * Custom search attributes of analysis runs: the dev-server script and docker-compose register them, the
 * workflow sets them, and `temporal workflow list --query` filters on them.
 */
export const SEARCH_ATTRIBUTES = {
  TokenflowTicker: 'Keyword',
  TokenflowDate: 'Keyword',
  TokenflowDecision: 'Keyword',
  TokenflowTotalTokens: 'Int',
  TokenflowCostUsd: 'Double',
  TokenflowBudgetStatus: 'Keyword',
  TokenflowMode: 'Keyword',
  TokenflowCalibration: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
