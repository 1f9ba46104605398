/** Backtests: which dates to analyse, how each run's decision is scored against the price, and the report. */
export {
  BACKTEST_EVERY,
  BacktestPlanError,
  DEFAULT_MAXIMUM_BACKTEST_DATES,
  planBacktestDates,
  type BacktestDate,
  type BacktestEvery,
  type BacktestPlanOptions,
} from './plan';
export { decisionHit, wilsonInterval, Z_95 } from './scoring';
export {
  BACKTEST_MODE_ORDER,
  summarizeBacktest,
  type BacktestEntry,
  type BacktestStatus,
  type BacktestSummary,
  type ModeSummary,
} from './summary';
export { renderBacktestMarkdown, type BacktestReport } from './render-markdown';
