import type Database from 'better-sqlite3';
import { isAgentName } from '../core/agents';
import type { Calibration } from '../core/run-types';
import { readDrift } from '../core/tokenizer-drift';
import { normalizeTimestamp, requireLimit } from './columns';
import { UsageStoreError } from './usage-store-error';

/** The calibration part of the usage store: every version the learning workflow saved, and the active one. */
export interface CalibrationStore {
  /**
   * Saves a calibration version and makes it the active one. Saving a version that already exists is a no-op
   * (a retried learning activity must not fork history), and the existing version stays as it was.
   */
  saveCalibration(calibration: Calibration): void;
  /** Makes an existing version active again (roll back a bad calibration). */
  activateCalibration(version: string): void;
  /** The active version, or undefined before the first calibration. */
  activeCalibration(): Calibration | undefined;
  /** Calibration versions, newest first. */
  listCalibrations(limit?: number): Calibration[];
}

interface CalibrationRow {
  version: string;
  created_at: string;
  reasons: string;
  agents: string;
  tokenizer_drift: string | null;
}

function rowToCalibration(row: CalibrationRow): Calibration {
  const calibration: Calibration = {
    version: row.version,
    createdAt: row.created_at,
    reasons: JSON.parse(row.reasons) as string[],
    agents: JSON.parse(row.agents) as Calibration['agents'],
  };
  if (row.tokenizer_drift !== null) {
    const stored = JSON.parse(row.tokenizer_drift) as Record<string, unknown>;
    const drift: NonNullable<Calibration['tokenizerDrift']> = {};
    for (const [model, value] of Object.entries(stored)) {
      const read = readDrift(value);
      if (read) drift[model] = read;
    }
    calibration.tokenizerDrift = drift;
  }
  return calibration;
}

/** The calibration versions of an open, migrated database. */
export function createCalibrationStore(database: Database.Database): CalibrationStore {
  const insertCalibration = database.prepare(
    'INSERT OR IGNORE INTO calibrations (version, created_at, reasons, agents, tokenizer_drift) VALUES (?, ?, ?, ?, ?)',
  );
  const setActive = database.prepare(
    'INSERT INTO active_calibration (singleton, version) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET version = excluded.version',
  );

  return {
    saveCalibration(calibration) {
      if (typeof calibration.version !== 'string' || calibration.version.length === 0) {
        throw new UsageStoreError('Calibration version must be a non-empty string.');
      }
      const unknownAgents = Object.keys(calibration.agents).filter((agent) => !isAgentName(agent));
      if (unknownAgents.length > 0) {
        throw new UsageStoreError(
          `Calibration ${calibration.version} names unknown agents (${unknownAgents.join(', ')}); use names from src/core/agents.ts.`,
        );
      }
      database.transaction(() => {
        const result = insertCalibration.run(
          calibration.version,
          normalizeTimestamp(calibration.createdAt, 'createdAt'),
          JSON.stringify(calibration.reasons),
          JSON.stringify(calibration.agents),
          calibration.tokenizerDrift === undefined ? null : JSON.stringify(calibration.tokenizerDrift),
        );
        if (result.changes === 1) setActive.run(calibration.version);
      })();
    },

    activateCalibration(version) {
      const known = database.prepare('SELECT 1 FROM calibrations WHERE version = ?').get(version);
      if (!known) {
        throw new UsageStoreError(
          `Calibration version "${version}" does not exist; list versions with listCalibrations().`,
        );
      }
      setActive.run(version);
    },

    activeCalibration() {
      const row = database
        .prepare(
          'SELECT calibrations.* FROM active_calibration JOIN calibrations ON calibrations.version = active_calibration.version',
        )
        .get() as CalibrationRow | undefined;
      return row ? rowToCalibration(row) : undefined;
    },

    listCalibrations(limit = 20) {
      requireLimit(limit);
      const rows = database
        .prepare('SELECT * FROM calibrations ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as CalibrationRow[];
      return rows.map(rowToCalibration);
    },
  };
}
