import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { buildRunSettings } from '../src/config/run-settings';
import type { UsageRecord } from '../src/core/types';
import { readExposition, samplesOf, sumOf, type Sample } from '../src/monitoring/read-exposition';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import { budgetQuery } from '../src/workflows/definitions';
import {
  createWorkers,
  startHarness,
  testConfig,
  testRequest,
  type Harness,
} from './support/workflow-harness';

/**
 * The metrics endpoint scraped while a run is under way and once it has ended, each time against the ledger:
 * every token figure of the scrape must be the ledger's, per agent and token type.
 */

let harness: Harness;

before(async () => {
  harness = await startHarness({}, { temporalMetrics: true });
});

after(async () => {
  await harness?.close();
});

/**
 * A pass-through to the fake OpenAI server that holds the requests of one agent until released: the run is
 * then paused mid-way, its earlier calls recorded and the held one still to come.
 */
async function startHoldingProxy(target: string, heldAgent: string) {
  const upstream = new URL(target);
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let heldCount = 0;
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const callId = String(incoming.headers['x-tokenflow-call-id'] ?? '');
      const held = callId.split('/')[1] === heldAgent;
      if (held) heldCount += 1;
      void (held ? released : Promise.resolve()).then(() => {
        const forwarded = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            // A stream the server cuts is cut for the client too (pipeline destroys both ends on an error).
            pipeline(answer, outgoing, () => undefined);
          },
        );
        forwarded.on('error', () => outgoing.destroy());
        outgoing.on('close', () => forwarded.destroy());
        forwarded.end(Buffer.concat(chunks));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    heldCount: () => heldCount,
    release,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  assert.equal(response.status, 200);
  const text = await response.text();
  return { text, samples: readExposition(text) };
}

const TOKEN_COLUMNS = {
  prompt: (record: UsageRecord) => record.promptTokens,
  cached_prompt: (record: UsageRecord) => record.cachedPromptTokens ?? 0,
  completion: (record: UsageRecord) => record.completionTokens,
  lost: (record: UsageRecord) => record.lostTokens,
} as const;

/** Every token figure, call count, cost, compliance count and stop reason of the scrape, against the ledger. */
function assertMatchesLedger(samples: Sample[], records: readonly UsageRecord[], when: string): void {
  const agents = [...new Set(records.map((record) => record.agent))];
  assert.ok(agents.length > 0, `${when}: the ledger has calls`);
  for (const agent of agents) {
    const own = records.filter((record) => record.agent === agent);
    const labels = { agent, mode: 'optimized', model: 'gpt-4o-mini', provider: 'openai' };
    for (const [tokenType, column] of Object.entries(TOKEN_COLUMNS)) {
      const ledger = own.reduce((sum, record) => sum + column(record), 0);
      assert.equal(
        sumOf(samples, 'tokenflow_tokens_total', { ...labels, token_type: tokenType }),
        ledger,
        `${when}: ${agent} ${tokenType} tokens`,
      );
    }
    assert.equal(sumOf(samples, 'tokenflow_calls_total', labels), own.length, `${when}: ${agent} calls`);
    const billed = own.reduce(
      (sum, record) => sum + record.promptTokens + record.completionTokens + record.lostTokens,
      0,
    );
    const requests = sumOf(samples, 'gen_ai_client_token_usage_sum', {
      agent,
      mode: 'optimized',
      gen_ai_request_model: 'gpt-4o-mini',
      gen_ai_provider_name: 'openai',
      gen_ai_operation_name: 'chat',
    });
    assert.equal(
      requests,
      billed,
      `${when}: ${agent} input + output of every request is what the ledger billed`,
    );
    const cost = own.reduce((sum, record) => sum + (record.costUsd ?? 0), 0);
    assert.ok(
      Math.abs(sumOf(samples, 'tokenflow_cost_usd_total', labels) - cost) < 1e-9,
      `${when}: ${agent} cost`,
    );
    const limited = own.filter(
      (record) => record.wordLimit !== undefined && record.rawCompliant !== undefined,
    );
    assert.equal(sumOf(samples, 'tokenflow_word_limit_calls_total', labels), limited.length);
    assert.equal(
      sumOf(samples, 'tokenflow_word_limit_compliant_calls_total', labels),
      limited.filter((record) => record.rawCompliant === true).length,
      `${when}: ${agent} compliant calls`,
    );
    const predicted = own.filter(
      (record) => record.predictedTokens !== undefined && record.completionTokens > 0,
    );
    assert.equal(sumOf(samples, 'tokenflow_prediction_error_ratio_count', labels), predicted.length);
  }
  for (const reason of new Set(records.map((record) => record.finishReason ?? 'unrecorded'))) {
    assert.equal(
      sumOf(samples, 'tokenflow_stream_stops_total', { finish_reason: reason }),
      records.filter((record) => record.finishReason === reason).length,
      `${when}: stops by ${reason}`,
    );
  }
  // Nothing beyond the ledger: the scrape's totals are the ledger's totals.
  for (const [tokenType, column] of Object.entries(TOKEN_COLUMNS)) {
    assert.equal(
      sumOf(samples, 'tokenflow_tokens_total', { token_type: tokenType }),
      records.reduce((sum, record) => sum + column(record), 0),
      `${when}: all ${tokenType} tokens`,
    );
  }
}

describe('the worker’s metrics endpoint against the ledger', () => {
  test('scraped mid-run and at the end, its token figures are the ledger’s, per agent and type', async (context) => {
    const proxy = await startHoldingProxy(harness.server.url, 'bull_researcher');
    try {
      const config = testConfig(harness, {
        openai: { baseUrl: proxy.url, apiKey: 'test-key' },
        metrics: { port: 0 },
      });
      const workflowId = 'test-metrics-scrape';
      // One analyst's first attempt drops mid-stream: its retry makes lost tokens and a failed request.
      harness.server.enqueueFault({ kind: 'drop', afterChunks: 4 });
      const workers = await createWorkers(harness, config);
      const metricsUrl = workers.metricsUrl;
      assert.ok(metricsUrl, 'the workers serve metrics when metrics.port is set');
      assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const handle = await harness.env.client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ request: testRequest(), settings: buildRunSettings(config) }],
      });

      await workers.runUntil(async () => {
        // The analysts are done and recorded, the bull researcher's request is held: the run is mid-way.
        await until(() => proxy.heldCount() > 0, 'the bull researcher’s request');
        const midway = await scrape(metricsUrl);
        const midwayRecords = await harness.store.listUsage({ workflowId });
        assert.equal(midwayRecords.length, 4, 'the four analysts are in the ledger');
        assert.ok(
          midwayRecords.some((record) => record.lostTokens > 0),
          'the dropped attempt’s tokens are in the ledger',
        );
        assertMatchesLedger(midway.samples, midwayRecords, 'mid-run');

        const budget = await handle.query(budgetQuery);
        assert.equal(
          sumOf(midway.samples, 'tokenflow_run_budget_remaining_tokens', { workflow_id: workflowId }),
          budget.remaining,
          'the running run’s remaining budget is its budget query’s',
        );
        assert.equal(
          sumOf(midway.samples, 'tokenflow_run_budget_hard_cap_tokens', { workflow_id: workflowId }),
          budget.hardCap,
        );
        assert.equal(
          sumOf(midway.samples, 'gen_ai_client_operation_duration_seconds_count', {
            error_type: 'StreamDropped',
          }),
          1,
          'the dropped request is timed with its error type',
        );
        assert.ok(
          sumOf(midway.samples, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', {
            agent: 'market_analyst',
            mode: 'optimized',
          }) >= 1,
        );
        assert.equal(sumOf(midway.samples, 'tokenflow_runs_total'), 0, 'no run has finished yet');
        assert.ok(
          samplesOf(midway.samples, 'temporal_worker_start').length > 0 ||
            midway.samples.some((sample) => sample.name.startsWith('temporal_')),
          'Temporal’s SDK metrics are in the same scrape',
        );
        context.diagnostic(
          `mid-run: ${midwayRecords.length} calls, ${sumOf(midway.samples, 'tokenflow_tokens_total')} tokens in the scrape`,
        );

        proxy.release();
        const result = await handle.result();
        // Visibility may still list the run as running for a moment; its query is refused once it has closed.
        await until(
          async () =>
            samplesOf((await scrape(metricsUrl)).samples, 'tokenflow_run_budget_remaining_tokens', {
              workflow_id: workflowId,
            }).length === 0,
          'the finished run’s budget gauge to go',
          15_000,
        );
        const end = await scrape(metricsUrl);
        const records = await harness.store.listUsage({ workflowId });
        assert.ok(records.length > 4, 'the run went on after the scrape');
        assertMatchesLedger(end.samples, records, 'end');
        assert.equal(
          sumOf(end.samples, 'tokenflow_runs_total', {
            budget_status: result.budgetStatus,
            mode: 'optimized',
          }),
          1,
          `one finished run, ${result.budgetStatus}`,
        );
        const tokens =
          sumOf(end.samples, 'tokenflow_tokens_total') -
          sumOf(end.samples, 'tokenflow_tokens_total', {
            token_type: 'cached_prompt',
          });
        assert.equal(tokens, result.totals.totalTokens, 'the scrape’s tokens are the run’s total');

        // A repeated write of a recorded call (an activity retried after its write went through) counts nothing.
        const [first] = records;
        assert.ok(first);
        assert.deepEqual(await workers.store.recordUsage(first), { inserted: false });
        assertMatchesLedger((await scrape(metricsUrl)).samples, records, 'after a repeated write');
        context.diagnostic(
          `end: ${records.length} calls, ${tokens} tokens, budget status ${result.budgetStatus}`,
        );
      });
      assert.equal(workers.metricsUrl, metricsUrl);
      await assert.rejects(fetch(metricsUrl), 'the endpoint stops with the workers');
    } finally {
      proxy.release();
      await proxy.close();
    }
  });
});
