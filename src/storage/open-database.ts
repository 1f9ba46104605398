import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations';

/**
 * Opens (creating folder, file and schema as needed) the SQLite database at `file`, with the pragmas the
 * usage store relies on; `:memory:` gives a throw-away database for tests.
 */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new Database(file);
  try {
    // WAL lets the CLI read while a worker writes; the busy timeout covers two workers writing at once. It is
    // short because better-sqlite3 waits synchronously, stalling every activity of the worker (heartbeats
    // included); a database locked for longer fails the write, and Temporal retries it later.
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 1000');
    database.pragma('foreign_keys = ON');
    migrate(database);
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
