import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLedgerLocation, ledgerLocationOf, parseLedgerLocation } from './ledger-location';

describe('ledger location', () => {
  test('a postgres:// or postgresql:// URL is PostgreSQL; anything else a SQLite file', () => {
    assert.deepEqual(parseLedgerLocation('postgres://h/db'), { engine: 'postgres', url: 'postgres://h/db' });
    assert.deepEqual(parseLedgerLocation('postgresql://h/db'), {
      engine: 'postgres',
      url: 'postgresql://h/db',
    });
    assert.deepEqual(parseLedgerLocation('data/tokenflow.db'), {
      engine: 'sqlite',
      file: 'data/tokenflow.db',
    });
    assert.deepEqual(parseLedgerLocation(':memory:'), { engine: 'sqlite', file: ':memory:' });
  });

  test('the config names the ledger: database.url when set, else the file under the data folder', () => {
    assert.equal(
      ledgerLocationOf({ dataDir: '/srv/tokenflow', database: {} }),
      '/srv/tokenflow/tokenflow.db',
    );
    assert.equal(
      ledgerLocationOf({ dataDir: '/srv/tokenflow', database: { url: 'postgres://h/db' } }),
      'postgres://h/db',
    );
  });

  test('a location shown anywhere has no credentials', () => {
    assert.equal(
      describeLedgerLocation('postgres://tokenflow:hunter22@db.internal:5432/ledger?sslmode=require'),
      'postgres://[credentials]@db.internal:5432/ledger?sslmode=require',
    );
    assert.equal(describeLedgerLocation('postgres://db.internal/ledger'), 'postgres://db.internal/ledger');
    assert.equal(describeLedgerLocation('postgres://user:pa ss@[bad'), 'postgres://[unreadable URL]');
    assert.equal(describeLedgerLocation('/data/tokenflow.db'), '/data/tokenflow.db');
  });
});
