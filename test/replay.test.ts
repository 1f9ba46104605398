import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { projectDirectory, workflowBundle } from './support/temporal-test-environment';

const historiesDirectory = path.join(__dirname, 'histories');
const histories = existsSync(historiesDirectory)
  ? readdirSync(historiesDirectory)
      .filter((name) => name.endsWith('.json'))
      .sort()
  : [];

async function* historyInputs() {
  for (const name of histories) {
    yield {
      workflowId: name.replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(path.join(historiesDirectory, name), 'utf8')),
    };
  }
}

const swappedDirectory = path.join(projectDirectory, 'src', '.swapped-workflows-test');
after(() => rmSync(swappedDirectory, { recursive: true, force: true }));

describe('replay of recorded histories', () => {
  test('there is at least one recorded history', () => {
    assert.ok(histories.length >= 1, 'record one with: npm run record-history');
  });

  test('every recorded history replays on the current workflow code', async () => {
    const bundle = await workflowBundle();
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, historyInputs())) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
      replayed += 1;
    }
    assert.equal(replayed, histories.length);
  });

  test('swapping two activities in the workflow makes replay fail', async () => {
    rmSync(swappedDirectory, { recursive: true, force: true });
    cpSync(path.join(projectDirectory, 'src', 'workflows'), swappedDirectory, { recursive: true });
    const file = path.join(swappedDirectory, 'analysis-workflow.ts');
    const source = readFileSync(file, 'utf8');
    const first = 'const calibration = settings.useCalibration ? await loadCalibration() : undefined;';
    assert.ok(source.includes(first), 'the statement to move is still in analysis-workflow.ts');
    // Schedule the market-data activity before the calibration activity: the recorded order is the reverse.
    const swapped = source.replace(
      first,
      `await loadAnalysisInputs({ ticker: input.request.ticker, date: input.request.date });\n  ${first}`,
    );
    writeFileSync(file, swapped);
    const bundle = await workflowBundle(swappedDirectory);
    const [name] = histories;
    assert.ok(name);
    const history = JSON.parse(readFileSync(path.join(historiesDirectory, name), 'utf8'));
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: bundle }, history),
      DeterminismViolationError,
    );
  });
});
