// The daily report page's own style and chart script. They are inline so a saved report stands alone; the
// dashboard serves the page with a Content-Security-Policy that allows exactly these two by their hashes.
import { createHash } from 'node:crypto';

/** The page's stylesheet. */
export const REPORT_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1f2933; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; padding-bottom: 0.25rem; }
p.note { color: #52606d; }
p.summary { font-size: 1.05rem; background: #f0f4f8; padding: 0.75rem 1rem; border-radius: 4px; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f5f7fa; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.chart { position: relative; height: 16rem; margin: 0.5rem 0 1rem; }
.chart.chart-tall { height: 26rem; }
`;

/** Draws every chart whose configuration the page embeds, when Chart.js loaded; the tables stand without it. */
export const REPORT_CHART_SCRIPT = `
(function () {
  if (typeof window.Chart !== 'function') return;
  var canvases = document.querySelectorAll('canvas[data-chart]');
  for (var index = 0; index < canvases.length; index += 1) {
    var canvas = canvases[index];
    var source = document.getElementById(canvas.getAttribute('data-chart'));
    if (source) new window.Chart(canvas, JSON.parse(source.textContent));
  }
})();
`;

function hashSource(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** CSP sources of the inline style and script, e.g. `'sha256-…'`. */
export const REPORT_INLINE_SOURCES = {
  style: hashSource(REPORT_STYLE),
  script: hashSource(REPORT_CHART_SCRIPT),
} as const;
