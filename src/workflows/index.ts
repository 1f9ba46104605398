export { analysisWorkflow } from './analysis-workflow';
export { learningWorkflow } from './learning-workflow';
export { compareWorkflow } from './compare-workflow';
