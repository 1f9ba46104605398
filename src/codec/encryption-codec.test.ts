import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
  payloadCodecsFromEnvironment,
} from './encryption-codec';

const key = randomBytes(32);
const codec = new EncryptionCodec(key, 'key-2026');
const plain = defaultPayloadConverter.toPayload({ ticker: 'PLAINTEXT-TICKER', date: '2020-04-17' });

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString();

describe('EncryptionCodec', () => {
  test('a payload round-trips, and what travels shows only the encoding and the key id', async () => {
    const [encoded] = await codec.encode([plain]);
    assert.ok(encoded);
    assert.deepEqual(Object.keys(encoded.metadata ?? {}).sort(), ['encoding', METADATA_ENCRYPTION_KEY_ID]);
    assert.equal(text(encoded.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(encoded.metadata?.[METADATA_ENCRYPTION_KEY_ID]), 'key-2026');
    assert.ok(!text(encoded.data).includes('PLAINTEXT-TICKER'));
    assert.ok(!text(encoded.data).includes('json/plain'), 'the inner metadata is encrypted too');

    const [decoded] = await codec.decode([encoded]);
    assert.ok(decoded);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), {
      ticker: 'PLAINTEXT-TICKER',
      date: '2020-04-17',
    });
    assert.equal(text(decoded.metadata?.encoding), 'json/plain');
  });

  test('each encryption draws a fresh IV, so equal payloads do not look equal', async () => {
    const [first, second] = await codec.encode([plain, plain]);
    assert.ok(first?.data && second?.data);
    assert.notDeepEqual(Buffer.from(first.data), Buffer.from(second.data));
    assert.notDeepEqual(Buffer.from(first.data).subarray(0, 12), Buffer.from(second.data).subarray(0, 12));
  });

  test('a payload altered on the way is refused, not decoded into garbage', async () => {
    const [encoded] = await codec.encode([plain]);
    assert.ok(encoded?.data);
    for (const position of [0, 20, encoded.data.length - 1]) {
      const data = Buffer.from(encoded.data);
      data[position] = (data[position] ?? 0) ^ 0x01;
      await assert.rejects(codec.decode([{ ...encoded, data }]), /failed its integrity check/);
    }
    await assert.rejects(codec.decode([{ ...encoded, data: encoded.data.subarray(0, 10) }]), /too short/);
  });

  test('another key under the same id is refused; another id names both ids', async () => {
    const [encoded] = await codec.encode([plain]);
    assert.ok(encoded);
    await assert.rejects(
      new EncryptionCodec(randomBytes(32), 'key-2026').decode([encoded]),
      /failed its integrity check/,
    );
    await assert.rejects(
      new EncryptionCodec(key, 'key-2027').decode([encoded]),
      /key id "key-2026" but this process holds key id "key-2027"/,
    );
  });

  test('payloads it did not encode pass through untouched', async () => {
    const binary: Payload = {
      metadata: { encoding: Buffer.from('binary/plain') },
      data: Buffer.from([1, 2]),
    };
    const bare: Payload = {};
    const decoded = await codec.decode([plain, binary, bare]);
    assert.equal(decoded[0], plain);
    assert.equal(decoded[1], binary);
    assert.equal(decoded[2], bare);
  });
});

describe('payloadCodecsFromEnvironment', () => {
  const validKey = randomBytes(32).toString('base64');

  test('no TOKENFLOW_PAYLOAD_KEY means no codec: payloads stay plain JSON', () => {
    assert.deepEqual(payloadCodecsFromEnvironment({}), []);
  });

  test('a valid key gives one encryption codec, under the default or the given key id', async () => {
    const [codec] = payloadCodecsFromEnvironment({ TOKENFLOW_PAYLOAD_KEY: validKey });
    assert.ok(codec instanceof EncryptionCodec);
    assert.equal(codec.keyId, 'default');
    const [named] = payloadCodecsFromEnvironment({
      TOKENFLOW_PAYLOAD_KEY: `${validKey}\n`,
      TOKENFLOW_PAYLOAD_KEY_ID: 'prod-1',
    });
    assert.ok(named instanceof EncryptionCodec);
    assert.equal(named.keyId, 'prod-1');
    const [encoded] = await named.encode([plain]);
    assert.ok(encoded);
    // The same key read again decodes it: the key really is the variable's bytes.
    const [again] = payloadCodecsFromEnvironment({
      TOKENFLOW_PAYLOAD_KEY: validKey,
      TOKENFLOW_PAYLOAD_KEY_ID: 'prod-1',
    });
    const [decoded] = (await again?.decode([encoded])) ?? [];
    assert.ok(decoded);
    assert.deepEqual(
      defaultPayloadConverter.fromPayload(decoded),
      defaultPayloadConverter.fromPayload(plain),
    );
  });

  test('a malformed key is refused in one sentence that never repeats the value', () => {
    const secretText = 'my-very-secret-passphrase';
    const malformed = [
      secretText,
      Buffer.from(secretText).toString('base64'),
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      `${validKey.slice(0, -4)}!!!!`,
      '',
    ];
    for (const value of malformed) {
      assert.throws(
        () => payloadCodecsFromEnvironment({ TOKENFLOW_PAYLOAD_KEY: value }),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /^TOKENFLOW_PAYLOAD_KEY must be the base64 of 32 random bytes/);
          if (value !== '') assert.ok(!error.message.includes(value), `the value is in: ${error.message}`);
          assert.ok(!error.message.includes(secretText));
          assert.equal(error.message.split('. ').length, 1, 'one sentence');
          return true;
        },
        `refused: ${value.length} characters`,
      );
    }
  });
});
