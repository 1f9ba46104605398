import { existsSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/config/search-attributes';

export const projectDirectory = path.resolve(__dirname, '..', '..');

/** The Temporal CLI built by scripts/install-temporal.sh; tests never download anything. */
export function temporalExecutable(): string {
  const executable = process.env.TEMPORAL_CLI_PATH ?? path.join(projectDirectory, 'tools', 'bin', 'temporal');
  if (!existsSync(executable)) {
    throw new Error(`Temporal CLI not found at ${executable}: run "bash scripts/install-temporal.sh" first.`);
  }
  return executable;
}

/** A real Temporal dev server (the project's CLI binary) with tokenflow's search attributes registered. */
export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalExecutable() },
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
      extraArgs: ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflows once per test process (webpack takes seconds). */
export function workflowBundle(
  workflowsPath = path.join(projectDirectory, 'src', 'workflows'),
): Promise<WorkflowBundleWithSourceMap> {
  if (workflowsPath !== path.join(projectDirectory, 'src', 'workflows')) {
    return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  }
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`bundle warning: ${message}\n`),
  error: (message: string) => process.stderr.write(`bundle error: ${message}\n`),
};
