import type { Kysely, Selectable } from 'kysely';
import { isAgentName } from '../core/agents';
import type { Calibration } from '../core/run-types';
import { readDrift } from '../core/tokenizer-drift';
import { normalizeTimestamp, requireLimit } from './columns';
import type { CalibrationsTable, LedgerTables } from './ledger-tables';
import { UsageStoreError } from './usage-store-error';

/** The calibration part of the usage store: every version the learning workflow saved, and the active one. */
export interface CalibrationStore {
  /**
   * Saves a calibration version and makes it the active one. Saving a version that already exists is a no-op
   * (a retried learning activity must not fork history), and the existing version stays as it was.
   */
  saveCalibration(calibration: Calibration): Promise<void>;
  /** Makes an existing version active again (roll back a bad calibration). */
  activateCalibration(version: string): Promise<void>;
  /** The active version, or undefined before the first calibration. */
  activeCalibration(): Promise<Calibration | undefined>;
  /** Calibration versions, newest first. */
  listCalibrations(limit?: number): Promise<Calibration[]>;
}

type CalibrationRow = Selectable<CalibrationsTable>;

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

function validateCalibration(calibration: Calibration): void {
  if (typeof calibration.version !== 'string' || calibration.version.length === 0) {
    throw new UsageStoreError('Calibration version must be a non-empty string.');
  }
  const unknownAgents = Object.keys(calibration.agents).filter((agent) => !isAgentName(agent));
  if (unknownAgents.length > 0) {
    throw new UsageStoreError(
      `Calibration ${calibration.version} names unknown agents (${unknownAgents.join(', ')}); use names from src/core/agents.ts.`,
    );
  }
}

/** The calibration versions of an open, migrated ledger. */
export function createCalibrationStore(database: Kysely<LedgerTables>): CalibrationStore {
  const setActive = (executor: Kysely<LedgerTables>, version: string) =>
    executor
      .insertInto('active_calibration')
      .values({ singleton: 1, version })
      .onConflict((conflict) => conflict.column('singleton').doUpdateSet({ version }))
      .execute();

  return {
    async saveCalibration(calibration) {
      validateCalibration(calibration);
      await database.transaction().execute(async (transaction) => {
        const result = await transaction
          .insertInto('calibrations')
          .values({
            version: calibration.version,
            created_at: normalizeTimestamp(calibration.createdAt, 'createdAt'),
            reasons: JSON.stringify(calibration.reasons),
            agents: JSON.stringify(calibration.agents),
            tokenizer_drift:
              calibration.tokenizerDrift === undefined ? null : JSON.stringify(calibration.tokenizerDrift),
          })
          .onConflict((conflict) => conflict.column('version').doNothing())
          .executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) {
          await setActive(transaction, calibration.version);
        }
      });
    },

    async activateCalibration(version) {
      const known = await database
        .selectFrom('calibrations')
        .select('version')
        .where('version', '=', version)
        .executeTakeFirst();
      if (!known) {
        throw new UsageStoreError(
          `Calibration version "${version}" does not exist; list versions with listCalibrations().`,
        );
      }
      await setActive(database, version);
    },

    async activeCalibration() {
      const row = await database
        .selectFrom('active_calibration')
        .innerJoin('calibrations', 'calibrations.version', 'active_calibration.version')
        .selectAll('calibrations')
        .executeTakeFirst();
      return row ? rowToCalibration(row) : undefined;
    },

    async listCalibrations(limit = 20) {
      requireLimit(limit);
      const rows = await database
        .selectFrom('calibrations')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(rowToCalibration);
    },
  };
}
