/**
 * Patch ids of workflow changes that altered a command sequence (see `patched()` in @temporalio/workflow).
 * Histories recorded before a patch replay down the old path.
 */

/**
 * The ledger records calls and runs that fail or are cancelled (a usage record for a call with no answer,
 * a run summary for a failed run), and a decision that stays unreadable ends the run with "no decision".
 */
export const LEDGER_RECORDS_FAILURES = 'ledger-records-failures';

/** A run raises its alerts (recorded in the ledger, delivered to the webhook) after its ledger line. */
export const RUN_ALERTS = 'run-alerts';
