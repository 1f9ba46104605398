// The workflows with the macro analyst registered: a worker's `workflowsPath` for runs that include it.
import './register-macro-analyst';

export * from '../../src/workflows';
