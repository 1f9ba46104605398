import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config';
import {
  alertThresholdsOf,
  collectDailyReport,
  inlineChartLibrary,
  renderDailyReport,
} from '../../reports/build-daily-report';
import { ledgerLocationOf, openUsageStore } from '../../storage/usage-store';

/**
 * `tokenflow report [--day YYYY-MM-DD] [--html FILE] [--json]`: the daily report of a UTC day (today by default).
 * Prints the stored report when the report Schedule made one, else builds it from the ledger now (without storing
 * it). `--html FILE` writes the HTML page with Chart.js inlined; `--json` prints the day's figures and alerts.
 */
export async function reportCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      day: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
  });
  const config = loadConfig({ file: values.config });
  const day = values.day ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`--day must be YYYY-MM-DD (got "${day}").`);
  if (values.html === '') throw new Error('--html needs a file name, e.g. --html report.html.');
  const store = await openUsageStore(ledgerLocationOf(config));
  try {
    const stored = values.json ? undefined : await store.getReport(day);
    let rendered: { summary: string; markdown: string; html: string };
    if (stored) {
      rendered = stored;
      // A day's stored report may predate its last runs (one made by hand during the day): say when it was made.
      process.stderr.write(
        `The stored report of ${day}, made at ${stored.createdAt}${stored.workflowId ? ` by ${stored.workflowId}` : ''}.\n`,
      );
    } else {
      const data = await collectDailyReport(store, day, {
        thresholds: alertThresholdsOf(config),
        generatedAt: new Date().toISOString(),
        temporalUiUrl: config.temporal.uiUrl,
        namespace: config.temporal.namespace,
      });
      rendered = renderDailyReport(data);
      if (values.json) {
        const body = { ...data.usage, alerts: data.alerts, summary: rendered.summary };
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      } else {
        process.stderr.write(
          `The report of ${day} is not stored yet (the daily report Schedule stores it after the day ends); built it from the ledger now.\n`,
        );
      }
    }
    if (values.html !== undefined) {
      const file = path.resolve(values.html);
      writeFileSync(file, inlineChartLibrary(rendered.html));
      process.stderr.write(`Wrote the HTML report of ${day} to ${file}\n`);
    }
    if (!values.json) process.stdout.write(rendered.markdown);
  } finally {
    await store.close();
  }
}
