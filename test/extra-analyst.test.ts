// First: the macro analyst must be registered before anything reads the roster.
import './support/register-macro-analyst';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { registerAgent } from '../src/agents';
import { loadConfig } from '../src/config/load-config';
import { AGENT_NAMES, agentsOfStage } from '../src/core/agents';
import { failureMessage } from '../src/cli/failure-message';
import { macroAnalyst } from './support/macro-analyst';
import { detectRole } from './support/scripted-model';
import { runAnalysis, startHarness, testConfig, type Harness } from './support/workflow-harness';

const workflowsPath = path.join(__dirname, 'support', 'extra-analyst-workflows.ts');
/** The built-in allocations and shared lines fill the 40K default; the macro analyst's 2,000 come on top. */
const maxTotalTokens = 42000;

describe('an analyst registered through the registry alone', () => {
  test('is in the roster, the config defaults and the config validation', () => {
    assert.deepEqual(agentsOfStage('analysts'), [
      'market_analyst',
      'news_analyst',
      'social_analyst',
      'fundamentals_analyst',
      'macro_analyst',
    ]);
    assert.equal(AGENT_NAMES.indexOf('macro_analyst'), 4, 'after the analysts, before the researchers');
    const load = (overrides: Record<string, unknown>) =>
      loadConfig({
        environment: {},
        cwd: __dirname,
        overrides: { tokens: { maxTotalTokens }, ...overrides },
      });
    assert.deepEqual(load({}).agents.macro_analyst, { wordLimit: 200, allocation: 2000 });
    assert.deepEqual(load({ agents: { macro_analyst: { wordLimit: 150 } } }).agents.macro_analyst, {
      wordLimit: 150,
      allocation: 2000,
    });
    assert.throws(
      () => load({ agents: { micro_analyst: { wordLimit: 150, allocation: 300 } } }),
      /agents: Unrecognized key: "micro_analyst"/,
    );
    assert.throws(
      () => loadConfig({ environment: {}, cwd: __dirname }),
      /agent allocations \(30000\) plus shared lines \(12000\) exceed the hard cap of 40000/,
    );
  });

  test('is refused a second registration with a clear message', () => {
    assert.throws(
      () => registerAgent(macroAnalyst),
      /^Error: Cannot register agent "macro_analyst": an agent of that name is already registered\.$/,
    );
  });
});

describe('a run with a registered macro analyst on a real Temporal dev server', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness?.close();
  });

  test('calls it with its own budget line, and every downstream agent reads its report', async () => {
    const config = testConfig(harness, { tokens: { maxTotalTokens } });
    const workflowId = 'test-macro-analyst';
    const run = await runAnalysis(harness, { config, workflowId, workflowsPath });
    assert.ok(run.ok, run.ok ? '' : failureMessage(run.error));
    const { result } = run;

    assert.equal(result.calls.length, 13, result.calls.map((call) => call.agent).join(', '));
    const call = result.calls.find((entry) => entry.agent === 'macro_analyst');
    assert.ok(call, 'the macro analyst was called');
    assert.equal(call.wordLimit, 200);
    assert.ok(call.words > 0 && call.words <= 200);
    const records = await harness.store.listUsage({ workflowId });
    assert.equal(records.length, 13);
    const record = records.find((entry) => entry.agent === 'macro_analyst');
    assert.ok(record, 'the ledger has its call');
    assert.equal(record.callId, `${workflowId}/macro_analyst/1`);

    const line = result.budget.lines.find((entry) => entry.line === 'macro_analyst');
    assert.ok(line, 'a budget line of its own');
    assert.equal(line.allocation, 2000);
    assert.equal(line.spent, call.promptTokens + call.completionTokens + call.lostTokens);
    assert.ok(result.reports.macro_analyst, 'its report is in the result');

    const requests = harness.server.requests
      .filter((request) => request.path.endsWith('/chat/completions'))
      .map((request) => request.body?.messages ?? []);
    const roles = requests.map((messages) => detectRole(messages));
    assert.equal(roles.filter((role) => role === 'macro_analyst').length, 1);
    const analysts: readonly string[] = agentsOfStage('analysts');
    const downstream = requests.filter((_, index) => !analysts.includes(roles[index] ?? ''));
    assert.equal(downstream.length, 8);
    for (const messages of downstream) {
      const user = messages.map((message) => message.content).join('\n');
      assert.match(
        user,
        /## Macro Analyst report(?: \(digest\))?\n\S/,
        `${detectRole(messages)} reads the macro report`,
      );
    }

    assert.ok(result.decision, result.noDecisionReason ?? result.degradations.join('; '));
    assert.equal(result.budget.hardCap, maxTotalTokens);
    assert.ok(result.totals.totalTokens <= result.budget.hardCap);
    assert.deepEqual(result.degradations, []);
  });
});
