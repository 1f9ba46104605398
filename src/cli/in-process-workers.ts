import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import type { AppConfig } from '../config/schema';
import { createTokenflowWorkers, type TokenflowWorkers } from '../workers/worker';

/**
 * Runs `work` (a client following its workflow) while this process's workers poll, then shuts them down and
 * closes their connection; with `--no-worker`, runs it alone (workers elsewhere do the work).
 */
export async function withInProcessWorkers<T>(
  config: AppConfig,
  noWorker: boolean,
  work: () => Promise<T>,
  onStarted?: (workers: TokenflowWorkers) => void,
): Promise<T> {
  if (noWorker) return work();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const workers = await createTokenflowWorkers({ config, connection });
    onStarted?.(workers);
    return await workers.runUntil(work);
  } finally {
    await connection.close();
  }
}

/** Prints a report a workflow wrote: its JSON file with `--json`, else its markdown and where both are. */
export function printReportFiles(json: boolean, markdownPath: string, jsonPath: string): void {
  if (json) {
    process.stdout.write(readFileSync(jsonPath, 'utf8'));
    return;
  }
  process.stdout.write(readFileSync(markdownPath, 'utf8'));
  process.stdout.write(`\nReports: ${markdownPath}\n         ${jsonPath}\n`);
}
