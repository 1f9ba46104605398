import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { createClient } from '../src/cli/temporal-connection';
import { ENCRYPTED_ENCODING, payloadCodecsFromEnvironment } from '../src/codec/encryption-codec';
import { buildRunSettings } from '../src/config/run-settings';
import type { analysisWorkflow } from '../src/workflows/analysis-workflow';
import {
  createWorkers,
  startHarness,
  testConfig,
  testRequest,
  type Harness,
} from './support/workflow-harness';

// Set in the process, as an operator would: the workers read it from there, the client is given it.
const environment = {
  TOKENFLOW_PAYLOAD_KEY: randomBytes(32).toString('base64'),
  TOKENFLOW_PAYLOAD_KEY_ID: 'e2e',
};
Object.assign(process.env, environment);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

/** Every payload list in a history event (inputs, results, local-activity markers), found by walking it. */
function payloadLists(value: unknown, found: Payload[][] = []): Payload[][] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return found;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'payloads' && Array.isArray(child)) found.push(child as Payload[]);
    else payloadLists(child, found);
  }
  return found;
}

/**
 * The payload lists of one event that went through the data converter. sdk-core writes a local activity's
 * marker `data` (its id, type and times) and a patch marker's `patch-data` itself, past any codec; only the
 * marker's `result` is ours.
 */
function convertedPayloadLists(event: HistoryEvent): Payload[][] {
  const marker = event.markerRecordedEventAttributes;
  return marker ? payloadLists(marker.details?.result) : payloadLists(event);
}

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('latin1');

describe('payload encryption on a real Temporal dev server', () => {
  // A worker without the key would retry the undecodable workflow task forever: fail in minutes instead.
  test(
    'Temporal stores only ciphertext, and a client holding the key still reads the result',
    { timeout: 180_000 },
    async () => {
      const config = testConfig(harness);
      const client = createClient(harness.env.connection, config, environment);
      const workers = await createWorkers(harness, config);
      const workflowId = 'test-payload-encryption';
      const handle = await client.workflow.start<typeof analysisWorkflow>('analysisWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [
          { request: testRequest({ researchRounds: 0, riskRounds: 0 }), settings: buildRunSettings(config) },
        ],
      });
      const result = await workers.runUntil(handle.result());
      assert.equal(result.request.ticker, 'SPX', 'the result decodes through the codec');

      const history = await handle.fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const input = started?.input?.payloads ?? [];
      assert.equal(input.length, 1);
      for (const payload of input) {
        assert.equal(text(payload.metadata?.encoding), ENCRYPTED_ENCODING);
        assert.equal(text(payload.metadata?.['encryption-key-id']), 'e2e');
        assert.ok(!text(payload.data).includes('SPX') && !text(payload.data).includes('2020-04-17'));
      }
      // The needle is there once decrypted, so its absence above means encryption, not a wrong needle.
      const [codec] = payloadCodecsFromEnvironment(environment);
      assert.ok(codec);
      const [decrypted] = await codec.decode(input);
      assert.match(text(decrypted?.data), /"ticker":"SPX"/);

      // Not just the input: activity arguments and results, local activity results and the workflow result.
      const payloads = (history.events ?? []).flatMap(convertedPayloadLists).flat();
      assert.ok(payloads.length > 20, `${payloads.length} payloads in the history`);
      for (const payload of payloads) {
        assert.equal(text(payload.metadata?.encoding), ENCRYPTED_ENCODING);
        assert.ok(!text(payload.data).includes('2020-04-17'));
      }

      // A client without the key cannot read what Temporal holds.
      await assert.rejects(harness.env.client.workflow.getHandle(workflowId).result());
    },
  );
});
