import { formatTimestamp } from '../dashboard/format';
import type { DailyReportData } from './daily-report-data';
import { dailySummary } from './render-summary';
import { reportSections, type ReportCell, type ReportTable } from './report-sections';

/** Ledger text in a table cell: a pipe would end the cell and a line break the row. */
function escapeCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n|\r/g, ' ');
}

function cell(value: ReportCell): string {
  if (typeof value === 'string') return escapeCell(value);
  // The angle-bracket form keeps parentheses in the address from ending the link.
  return `[${escapeCell(value.text).replace(/[[\]]/g, '\\$&')}](<${value.href}>)`;
}

function table(content: ReportTable): string[] {
  if (content.rows.length === 0) return [content.empty];
  return [
    `| ${content.columns.map((column) => escapeCell(column.label)).join(' | ')} |`,
    `| ${content.columns.map((column) => (column.number ? '---:' : '---')).join(' | ')} |`,
    ...content.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

/** The report as markdown: a heading per section, its notes and its table. Same data, same text. */
export function dailyMarkdown(data: DailyReportData): string {
  const lines = [
    `# tokenflow daily report ${data.day}`,
    '',
    `Generated ${formatTimestamp(data.generatedAt)}, over the calls recorded and the runs finished that UTC day.`,
    '',
    dailySummary(data),
  ];
  for (const section of reportSections(data)) {
    lines.push('', `## ${section.title}`, '');
    for (const note of section.notes) lines.push(note, '');
    lines.push(...table(section.table));
  }
  return `${lines.join('\n')}\n`;
}
