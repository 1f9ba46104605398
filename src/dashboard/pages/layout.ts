import { html, type SafeHtml } from '../html';
import { temporalWorkflowsHref, type TemporalUi } from '../links';

/** Which navigation entry a page belongs to. */
export type Section = 'runs' | 'trends' | 'backtests';

/** What every page needs besides its own content. */
export interface PageContext {
  temporalUi: TemporalUi;
}

/**
 * The page around a body: navigation, the stylesheet, Chart.js and the dashboard's script (served by the
 * dashboard itself; the page loads nothing from elsewhere).
 */
export function layout(options: {
  title: string;
  section?: Section;
  body: SafeHtml;
  context: PageContext;
}): string {
  const link = (href: string, label: string, section: Section) =>
    options.section === section
      ? html`<a href="${href}" aria-current="page">${label}</a>`
      : html`<a href="${href}">${label}</a>`;
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · tokenflow</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/chart.umd.min.js" defer></script>
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
          <nav>
            <a class="brand" href="/">tokenflow</a>
            ${link('/', 'Runs', 'runs')} ${link('/trends', 'Trends', 'trends')}
            ${link('/backtests', 'Backtests', 'backtests')}
            <a href="${temporalWorkflowsHref(options.context.temporalUi)}" rel="noreferrer">Temporal UI ↗</a>
          </nav>
        </header>
        <main>${options.body}</main>
      </body>
    </html> `;
  return page.value;
}

/** A page that says what went wrong with a request (a bad parameter, an unknown run). */
export function errorPage(status: number, message: string, context: PageContext): string {
  return layout({
    title: `Error ${status}`,
    body: html`<h1>Error ${status}</h1>
      <p class="error" id="error-message">${message}</p>
      <p><a href="/">Back to the runs</a></p>`,
    context,
  });
}
