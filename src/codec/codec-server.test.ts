import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { JSONToPayload, payloadToJSON, type JSONPayload } from '@temporalio/common/lib/proto-utils';
import { startCodecServer, type CodecServer } from './codec-server';
import { EncryptionCodec } from './encryption-codec';

const uiOrigin = 'http://localhost:8233';
const codec = new EncryptionCodec(randomBytes(32), 'test');
let server: CodecServer;

before(async () => {
  server = await startCodecServer({ codecs: [codec], allowedOrigin: `${uiOrigin}/namespaces`, port: 0 });
});
after(() => server?.close());

/** POSTs `payloads` as the Temporal UI does (JSON, base64 fields, its origin and namespace header). */
async function post(route: string, payloads: unknown, origin = uiOrigin) {
  const response = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin },
    body: JSON.stringify({ payloads }),
  });
  return { response, body: (await response.json()) as { payloads?: JSONPayload[]; message?: string } };
}

const value = { ticker: 'PLAINTEXT-TICKER', date: '2020-04-17' };
const fromJson = (payload: JSONPayload | undefined) => {
  assert.ok(payload);
  return defaultPayloadConverter.fromPayload(JSONToPayload(payload));
};

describe('codec server over HTTP on 127.0.0.1', () => {
  test('listens on 127.0.0.1 and answers the browser preflight for the UI origin', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: uiOrigin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), uiOrigin);
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /content-type.*x-namespace/);
  });

  test('/decode turns what the workers encrypted back into the JSON payload, with CORS headers', async () => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    const { response, body } = await post('/decode', encrypted.map(payloadToJSON));
    assert.equal(response.status, 200, body.message);
    assert.equal(response.headers.get('access-control-allow-origin'), uiOrigin);
    assert.equal(body.payloads?.length, 1);
    assert.deepEqual(fromJson(body.payloads?.[0]), value);
  });

  test('/encode encrypts what the UI sends, and a namespace-prefixed /decode reads it back', async () => {
    const plain = payloadToJSON(defaultPayloadConverter.toPayload(value));
    const encoded = await post('/encode', [plain]);
    assert.equal(encoded.response.status, 200, encoded.body.message);
    assert.equal(encoded.response.headers.get('access-control-allow-origin'), uiOrigin);
    const [sealed] = encoded.body.payloads ?? [];
    assert.equal(Buffer.from(sealed?.metadata?.encoding ?? '', 'base64').toString(), 'binary/encrypted');
    assert.ok(
      !Buffer.from(sealed?.data ?? '', 'base64')
        .toString()
        .includes('PLAINTEXT-TICKER'),
    );

    const decoded = await post('/default/decode', encoded.body.payloads);
    assert.equal(decoded.response.status, 200, decoded.body.message);
    assert.deepEqual(fromJson(decoded.body.payloads?.[0]), value);
  });

  test('payloads it did not encrypt come back from /decode unchanged', async () => {
    const plain = payloadToJSON(defaultPayloadConverter.toPayload(value));
    const { body } = await post('/decode', [plain]);
    assert.deepEqual(body.payloads, [plain]);
  });

  test('an altered payload is a 400 that does not echo the payload', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    assert.ok(sealed?.data);
    const data = Buffer.from(sealed.data);
    data[30] = (data[30] ?? 0) ^ 0xff;
    const tampered = payloadToJSON({ ...sealed, data });
    const { response, body } = await post('/decode', [tampered]);
    assert.equal(response.status, 400);
    assert.match(body.message ?? '', /integrity check/);
    assert.ok(!(body.message ?? '').includes(tampered.data ?? '-'));
  });

  test('another origin is refused without CORS headers, and a malformed body is a 400', async () => {
    const foreign = await post('/decode', [], 'http://evil.example');
    assert.equal(foreign.response.status, 403);
    assert.equal(foreign.response.headers.get('access-control-allow-origin'), null);

    const malformed = await fetch(`${server.url}/decode`, { method: 'POST', body: '{"payload": 1}' });
    assert.equal(malformed.status, 400);
    const unknown = await fetch(`${server.url}/other`, { method: 'POST', body: '{}' });
    assert.equal(unknown.status, 404);
  });
});
