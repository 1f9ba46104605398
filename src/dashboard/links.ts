import { workflowUiLink } from '../cli/render-report';

/** Where the Temporal UI is and which namespace the runs live in (`temporal.uiUrl`, `temporal.namespace`). */
export interface TemporalUi {
  url: string;
  namespace: string;
}

/** The dashboard's page of one run. */
export function runHref(workflowId: string): string {
  return `/runs/${encodeURIComponent(workflowId)}`;
}

/** The dashboard's page of one backtest, by its report's name (see `BACKTEST_FILE_ID_PATTERN`). */
export function backtestHref(id: string): string {
  return `/backtests/${encodeURIComponent(id)}`;
}

/** The run in the Temporal UI (its latest execution under that workflow id). */
export function temporalWorkflowHref(ui: TemporalUi, workflowId: string): string {
  return workflowUiLink(ui.url, ui.namespace, workflowId);
}

/** The Temporal UI's workflow list of the namespace. */
export function temporalWorkflowsHref(ui: TemporalUi): string {
  return `${ui.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows`;
}
