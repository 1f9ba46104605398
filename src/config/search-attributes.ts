import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of analysis runs: the dev-server script and docker-compose register them, the
 * workflow sets them through the typed keys, and `temporal workflow list --query` filters on them. Imported
 * by the workflow bundle, so no Node built-ins here.
 */

/** How `temporal operator search-attribute create --type` names the types used here. */
const REGISTERED_TYPE_NAME = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
} as const;

type RegisteredType = keyof typeof REGISTERED_TYPE_NAME;

/** The SDK's key type (`SearchAttributeKey`, which `@temporalio/common` does not export by name). */
type SearchAttributeKey<Type extends RegisteredType> = ReturnType<typeof defineSearchAttributeKey<Type>>;

/** A typed key that keeps its name as a literal type, so the names can be listed as a type too. */
function searchAttributeKey<Name extends string, Type extends RegisteredType>(
  name: Name,
  type: Type,
): SearchAttributeKey<Type> & { readonly name: Name } {
  return defineSearchAttributeKey(name, type) as SearchAttributeKey<Type> & { readonly name: Name };
}

export const tickerKey = searchAttributeKey('TokenflowTicker', SearchAttributeType.KEYWORD);
export const dateKey = searchAttributeKey('TokenflowDate', SearchAttributeType.KEYWORD);
export const decisionKey = searchAttributeKey('TokenflowDecision', SearchAttributeType.KEYWORD);
export const totalTokensKey = searchAttributeKey('TokenflowTotalTokens', SearchAttributeType.INT);
export const costKey = searchAttributeKey('TokenflowCostUsd', SearchAttributeType.DOUBLE);
export const budgetStatusKey = searchAttributeKey('TokenflowBudgetStatus', SearchAttributeType.KEYWORD);
export const modeKey = searchAttributeKey('TokenflowMode', SearchAttributeType.KEYWORD);
export const calibrationKey = searchAttributeKey('TokenflowCalibration', SearchAttributeType.KEYWORD);

/** Every typed key, for registering them (the test environment does). */
export const SEARCH_ATTRIBUTE_KEYS = [
  tickerKey,
  dateKey,
  decisionKey,
  totalTokensKey,
  costKey,
  budgetStatusKey,
  modeKey,
  calibrationKey,
] as const;

export type SearchAttributeName = (typeof SEARCH_ATTRIBUTE_KEYS)[number]['name'];

/** Every search attribute by name with its type as registration spells it (`TokenflowTicker: 'Keyword'`). */
export const SEARCH_ATTRIBUTES = Object.fromEntries(
  SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, REGISTERED_TYPE_NAME[key.type]]),
) as {
  readonly [Name in SearchAttributeName]: (typeof REGISTERED_TYPE_NAME)[RegisteredType];
};
