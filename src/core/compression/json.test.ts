import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lostFacts } from '../fact-check';
import { compressJson, encodeLogfmt, minifyJson } from './json';
import { counter, savings } from './test-fixtures';

describe('JSON', () => {
  test('minifies without re-serialising, so no literal loses precision', () => {
    const text = '{\n  "id": 12345678901234567890,\n  "price": 12.50,\n  "ratio": 3.0,\n  "label": "a  b"\n}';
    assert.equal(minifyJson(text), '{"id":12345678901234567890,"price":12.5,"ratio":3,"label":"a  b"}');
    assert.equal(minifyJson('not json'), undefined);
  });

  test('prefers minified JSON when a re-encoding would pass a number through a double', () => {
    const text = JSON.stringify({ id: 1, nested: { value: 2 } }, null, 2).replace(
      '"value": 2',
      '"value": 12345678901234567890',
    );
    assert.equal(compressJson(text), '{"id":1,"nested":{"value":12345678901234567890}}');
  });

  test('writes flat records as logfmt and arrays of records as TOON, both decodable to the same data', () => {
    assert.equal(encodeLogfmt({ a: 1, b: 'two words', c: { d: true } }), 'a=1 b="two words"\nc: d=true');
    const estimates = Array.from({ length: 12 }, (_, index) => ({
      broker: `Broker ${String.fromCharCode(65 + index)}`,
      date: `2020-04-${String(index + 1).padStart(2, '0')}`,
      target: 250 + index * 2.5,
      rating: index % 3 === 0 ? 'BUY' : 'HOLD',
    }));
    const text = JSON.stringify(estimates, null, 2);
    const compressed = compressJson(text, { counter }) ?? '';
    assert.match(compressed, /^\[12\]\{broker,date,target,rating\}:/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const toon = require('@toon-format/toon') as { decode(text: string): unknown };
    assert.deepEqual(toon.decode(compressed), estimates);
    assert.deepEqual(lostFacts(text, compressed), []);
    assert.ok(savings(text, compressed) > 0.5);
  });

  test('reads JSON inside a code fence', () => {
    assert.equal(compressJson('```json\n{ "a": [1, 2.50] }\n```'), 'a=[1,2.5]');
  });
});
