/**
 * Typed keys of the search attributes, defined once in src/config/search-attributes.ts. Only the keys are
 * re-exported: the test environment registers `Object.values` of this module.
 */
export {
  tickerKey,
  dateKey,
  decisionKey,
  totalTokensKey,
  costKey,
  budgetStatusKey,
  modeKey,
  calibrationKey,
} from '../config/search-attributes';
