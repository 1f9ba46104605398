// Where the ledger lives: a SQLite file (the embedded default) or a PostgreSQL database (shared by every worker,
// the CLI and the dashboard). Workers, CLI and dashboard all find it the same way, from the config.
import path from 'node:path';

/** A ledger location: a SQLite file (`:memory:` for tests) or a `postgres://` URL. */
export type LedgerLocation = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Reads a location string: a `postgres://` or `postgresql://` URL, otherwise a SQLite file path. */
export function parseLedgerLocation(location: string): LedgerLocation {
  return POSTGRES_URL.test(location)
    ? { engine: 'postgres', url: location }
    : { engine: 'sqlite', file: location };
}

/** The ledger of a config: `database.url` (`TOKENFLOW_DATABASE_URL`) when set, else `<dataDir>/tokenflow.db`. */
export function ledgerLocationOf(config: {
  dataDir: string;
  database: { url?: string | undefined };
}): string {
  return config.database.url ?? path.join(config.dataDir, 'tokenflow.db');
}

/** The location as it may be shown: a URL loses its password (and user name), a file path stays. */
export function describeLedgerLocation(location: string): string {
  const parsed = parseLedgerLocation(location);
  if (parsed.engine === 'sqlite') return parsed.file;
  if (!URL.canParse(parsed.url)) return 'postgres://[unreadable URL]';
  const url = new URL(parsed.url);
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
    return url.toString().replace('//', '//[credentials]@');
  }
  return url.toString();
}
