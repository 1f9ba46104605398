export { analysisWorkflow } from './analysis-workflow';
export { learningWorkflow } from './learning-workflow';
export { compareWorkflow } from './compare-workflow';
export { dailyReportWorkflow } from './daily-report-workflow';
export { backtestWorkflow } from './backtest-workflow';
export { budgetPoolWorkflow } from './budget-pool-workflow';
