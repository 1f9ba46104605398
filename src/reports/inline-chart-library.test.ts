import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chartLibraryFile } from '../dashboard/chart-library';
import {
  CHART_LIBRARY_TAG,
  inlineChartLibrary,
  inlineScript,
  scriptElementText,
} from './inline-chart-library';

const PAGE = `<!doctype html><html><body><p>figures</p>${CHART_LIBRARY_TAG}<script>draw()</script></body></html>`;

describe('inlineChartLibrary', () => {
  test('puts Chart.js in place of the element that loads it', () => {
    const page = inlineChartLibrary(PAGE);
    assert.ok(!page.includes(CHART_LIBRARY_TAG));
    const code = readFileSync(chartLibraryFile(), 'utf8');
    assert.ok(code.length > 100_000, 'the real library');
    assert.ok(page.includes(code.slice(0, 2000)) && page.includes(code.slice(-2000)));
    assert.match(page, /<p>figures<\/p><script>/);
    assert.ok(page.endsWith('<script>draw()</script></body></html>'));
  });

  test('code cannot end its element early, and replacement patterns in it stay code', () => {
    const code = `var a = "</script><script>alert(1)</SCRIPT>"; var b = "<!--"; var c = "$&$1$$";`;
    const page = inlineScript(PAGE, code);
    const inlined = page.slice(page.indexOf('<p>figures</p><script>') + '<p>figures</p><script>'.length);
    const body = inlined.slice(0, inlined.indexOf('</script>'));
    assert.equal(body, scriptElementText(code));
    assert.ok(body.includes('$&$1$$'));
    assert.doesNotMatch(body, /<\/script|<script|<!--/i);
    // The escaped text means the same to JavaScript.
    assert.equal(
      new Function(`${body}; return [a, b, c];`)().join('|'),
      '</script><script>alert(1)</SCRIPT>|<!--|$&$1$$',
    );
  });
});
