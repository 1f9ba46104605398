import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The `encoding` metadata of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with, so keys can rotate. */
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
/** Bytes of an AES-256 key. */
export const KEY_LENGTH_BYTES = 32;
const IV_LENGTH_BYTES = 12;
const TAG_LENGTH_BYTES = 16;

/**
 * A {@link PayloadCodec} that encrypts every payload with AES-256-GCM, as temporalio/samples-typescript's
 * encryption sample does: the whole payload (metadata included) is encrypted, and the outer payload says only
 * `binary/encrypted` and the key id. Payloads it did not encrypt decode as they are, so histories started
 * before encryption was turned on stay readable.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly #key: Buffer;

  constructor(
    key: Uint8Array,
    readonly keyId: string,
  ) {
    if (key.length !== KEY_LENGTH_BYTES) {
      throw new Error(`An AES-256 key has ${KEY_LENGTH_BYTES} bytes, not ${key.length}.`);
    }
    this.#key = Buffer.from(key);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [METADATA_ENCRYPTION_KEY_ID]: Buffer.from(this.keyId),
      },
      // The standard (not length-delimited) encoding, as the Go and Python samples use, so their codecs
      // could read these payloads with the same key.
      data: this.#encrypt(temporal.api.common.v1.Payload.encode(payload).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_ENCRYPTION_KEY_ID];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : undefined;
      if (keyId !== this.keyId) {
        throw new ValueError(
          `A payload was encrypted with key id "${keyId ?? '(none)'}" but this process holds key id "${this.keyId}"; set TOKENFLOW_PAYLOAD_KEY and TOKENFLOW_PAYLOAD_KEY_ID to that key.`,
        );
      }
      return temporal.api.common.v1.Payload.decode(this.#decrypt(payload.data ?? new Uint8Array()));
    });
  }

  #encrypt(plaintext: Uint8Array): Uint8Array {
    const iv = randomBytes(IV_LENGTH_BYTES);
    const cipher = createCipheriv(CIPHER, this.#key, iv, { authTagLength: TAG_LENGTH_BYTES });
    // iv | ciphertext | tag: the layout WebCrypto's AES-GCM (the sample's) reads and writes.
    return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  #decrypt(sealed: Uint8Array): Uint8Array {
    if (sealed.length < IV_LENGTH_BYTES + TAG_LENGTH_BYTES) {
      throw new ValueError(`An encrypted payload is too short to hold its IV and tag; it was truncated.`);
    }
    const iv = sealed.subarray(0, IV_LENGTH_BYTES);
    const ciphertext = sealed.subarray(IV_LENGTH_BYTES, sealed.length - TAG_LENGTH_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_LENGTH_BYTES);
    const decipher = createDecipheriv(CIPHER, this.#key, iv, { authTagLength: TAG_LENGTH_BYTES });
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new ValueError(
        `An encrypted payload failed its integrity check: it was altered, or encrypted with another key under key id "${this.keyId}".`,
      );
    }
  }
}

/** Environment variable holding the payload key: the base64 of 32 random bytes. */
export const PAYLOAD_KEY_VARIABLE = 'TOKENFLOW_PAYLOAD_KEY';
/** Environment variable naming the payload key, written into every payload it encrypts. */
export const PAYLOAD_KEY_ID_VARIABLE = 'TOKENFLOW_PAYLOAD_KEY_ID';
const DEFAULT_KEY_ID = 'default';

/**
 * The payload codecs the client, the workers and the codec server share: one {@link EncryptionCodec} when
 * TOKENFLOW_PAYLOAD_KEY is set, none (plain JSON payloads) when it is not. A malformed key throws an Error
 * whose message never includes the value.
 */
export function payloadCodecsFromEnvironment(environment: NodeJS.ProcessEnv): PayloadCodec[] {
  const encodedKey = environment[PAYLOAD_KEY_VARIABLE];
  if (encodedKey === undefined) return [];
  const key = decodeKey(encodedKey.trim());
  const keyId = environment[PAYLOAD_KEY_ID_VARIABLE]?.trim() || DEFAULT_KEY_ID;
  return [new EncryptionCodec(key, keyId)];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeKey(encodedKey: string): Buffer {
  // Buffer.from(…, 'base64') skips what is not base64 instead of failing, so the shape is checked first;
  // and an empty value refuses to run rather than silently leaving payloads in plain text.
  const bytes = encodedKey !== '' && BASE64.test(encodedKey) ? Buffer.from(encodedKey, 'base64') : undefined;
  if (bytes?.length !== KEY_LENGTH_BYTES) {
    throw new Error(
      `${PAYLOAD_KEY_VARIABLE} must be the base64 of ${KEY_LENGTH_BYTES} random bytes (make one with "openssl rand -base64 32"), or unset to leave payloads unencrypted.`,
    );
  }
  return bytes;
}
