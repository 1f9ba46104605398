import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed keys of the search attributes in src/config/search-attributes.ts. */
export const tickerKey = defineSearchAttributeKey('TokenflowTicker', SearchAttributeType.KEYWORD);
export const dateKey = defineSearchAttributeKey('TokenflowDate', SearchAttributeType.KEYWORD);
export const decisionKey = defineSearchAttributeKey('TokenflowDecision', SearchAttributeType.KEYWORD);
export const totalTokensKey = defineSearchAttributeKey('TokenflowTotalTokens', SearchAttributeType.INT);
export const costKey = defineSearchAttributeKey('TokenflowCostUsd', SearchAttributeType.DOUBLE);
export const budgetStatusKey = defineSearchAttributeKey('TokenflowBudgetStatus', SearchAttributeType.KEYWORD);
export const modeKey = defineSearchAttributeKey('TokenflowMode', SearchAttributeType.KEYWORD);
export const calibrationKey = defineSearchAttributeKey('TokenflowCalibration', SearchAttributeType.KEYWORD);
