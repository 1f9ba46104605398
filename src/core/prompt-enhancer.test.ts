import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WORD_LIMIT_REMINDER_ID, enhanceDraft } from './prompt-enhancer';
import type { PromptDraft } from './types';

const draft: PromptDraft = {
  agent: 'trader',
  system: 'You are the trader of a trading research team analysing SPX as of 2020-02-09.',
  sections: [
    {
      id: 'task',
      title: 'Task',
      kind: 'instructions',
      text: 'Write the plan.',
      priority: 100,
      condensable: false,
    },
  ],
};

describe('enhanceDraft', () => {
  test('adds the word limit to the system text, a final reminder and the draft’s word limit', () => {
    const enhanced = enhanceDraft(draft, 150);
    assert.equal(enhanced.wordLimit, 150);
    assert.ok(enhanced.system.startsWith(draft.system));
    assert.match(enhanced.system, /Answer in at most 150 words\. Finish your last sentence\./i);
    assert.match(enhanced.system, /entry, stop and size/);
    const reminder = enhanced.sections.at(-1);
    assert.deepEqual(reminder && [reminder.id, reminder.kind, reminder.priority, reminder.condensable], [
      WORD_LIMIT_REMINDER_ID,
      'instructions',
      100,
      false,
    ]);
    assert.match(reminder?.text ?? '', /at most 150 words/);
  });

  test('is idempotent and a new limit replaces the old one', () => {
    const once = enhanceDraft(draft, 150);
    assert.deepEqual(enhanceDraft(once, 150), once);
    const changed = enhanceDraft(once, 120);
    assert.equal(changed.system.match(/at most \d+ words/g)?.length, 1);
    assert.match(changed.system, /at most 120 words/);
    assert.equal(changed.sections.filter((section) => section.id === WORD_LIMIT_REMINDER_ID).length, 1);
    assert.equal(changed.sections.length, 2);
  });

  test('the reminder can be left out, and the input draft is not changed', () => {
    const enhanced = enhanceDraft(draft, 150, { reminder: false });
    assert.deepEqual(enhanced.sections, draft.sections);
    assert.equal(draft.wordLimit, undefined);
    assert.equal(draft.sections.length, 1);
  });

  test('rejects a limit below one word', () => {
    assert.throws(() => enhanceDraft(draft, 0), /whole number of at least 1/);
  });
});
