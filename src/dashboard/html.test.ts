import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html, jsonForScript, trustedHtml } from './html';

describe('dashboard HTML', () => {
  test('escapes the five characters that can end text or an attribute', () => {
    assert.equal(
      escapeHtml(`<b a="1" b='2'>&amp;</b>`),
      '&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;amp;&lt;/b&gt;',
    );
  });

  test('a template escapes what it interpolates, keeps nested fragments as markup and drops absent values', () => {
    const ticker = '<script>alert(1)</script>';
    const cell = html`<td title="${'"x"'}">${ticker}</td>`;
    assert.equal(cell.value, '<td title="&quot;x&quot;">&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    // prettier-ignore
    const row = html`<tr>${cell}${[html`<td>${1}</td>`, '<i>']}${undefined}${null}${false}</tr>`;
    assert.equal(row.value, `<tr>${cell.value}<td>1</td>&lt;i&gt;</tr>`);
    assert.equal(html`${trustedHtml('<hr />')}`.value, '<hr />');
  });

  test('JSON in a script element cannot close it or start a comment, and parses back unchanged', () => {
    const value = { agent: '</script><script>alert(1)</script>', note: 'a & b <!-- \u2028' };
    const embedded = jsonForScript(value).value;
    assert.ok(!embedded.includes('<') && !embedded.includes('>') && !embedded.includes('&'), embedded);
    assert.ok(!embedded.includes('\u2028'));
    assert.deepEqual(JSON.parse(embedded), value);
  });
});
