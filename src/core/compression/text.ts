const LINE_BREAKS = /\r\n?/g;
const UNUSUAL_SPACES = /[\u00a0\u2000-\u200a\u202f\u205f\u3000]/g;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
/** Trailing spaces and tabs of each line. */
export const TRAILING_SPACES = /[ \t]+$/gm;
const SPACE_RUNS = /[ \t]{2,}|\t/g;
const BLANK_LINE_RUNS = /\n{3,}/g;
const BOLD = /\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*|__(?=\S)([^_\n]+?)(?<=\S)__/g;
const HORIZONTAL_RULE = /^[ \t]*(?:[-*_][ \t]*){3,}$/gm;
const MARKDOWN_LINK = /\[([^\]\n]+)\]\((?:https?:\/\/|www\.)[^)\s]*\)/g;
const BARE_URL = /[ \t]*[(<]?\b(?:https?:\/\/|www\.)[^\s<>()\[\]"']+[)>]?/g;

/** Unifies line breaks, turns exotic spaces into plain ones and drops zero-width characters. */
export function normalizeCharacters(text: string): string {
  return text.replace(LINE_BREAKS, '\n').replace(UNUSUAL_SPACES, ' ').replace(ZERO_WIDTH, '');
}

/**
 * Collapses whitespace: no trailing spaces, one space between words (indentation kept), at most one blank
 * line in a row, nothing at either end. Never joins two tokens, so no number can merge with another.
 */
export function normalizeWhitespace(text: string): string {
  const withoutTrailing = normalizeCharacters(text).replace(TRAILING_SPACES, '');
  // Runs after a line break are indentation and stay; runs after a word become one space.
  const collapsed = withoutTrailing.replace(SPACE_RUNS, (run: string, offset: number) =>
    offset === 0 || withoutTrailing.charCodeAt(offset - 1) === 10 ? run : ' ',
  );
  return collapsed.replace(BLANK_LINE_RUNS, '\n\n').trim();
}

/** Removes bold markers (`**BUY**` -> `BUY`) and horizontal rules; headings and lists stay. */
export function stripMarkdownDecoration(text: string): string {
  return text
    .replace(BOLD, (_match, star?: string, underscore?: string) => star ?? underscore ?? '')
    .replace(HORIZONTAL_RULE, '');
}

const HEADING_MARKER = /^[ \t]*#{1,6}[ \t]+(?=\S)/gm;
/** A line without letters or digits, except a table's separator row (`| --- | --- |`). */
const MARKUP_ONLY_LINE =
  /^(?![ \t]*\|?[ \t]*:?-{2,}:?[ \t]*\|)[^\p{L}\p{N}\n]*[^\p{L}\p{N}\s][^\p{L}\p{N}\n]*(?:\n|$)/gmu;

/**
 * Flattens the markup of an agent's answer that is quoted in another agent's prompt: heading markers go
 * (`## Task` -> `Task`) and lines with no letter or digit (`###`, `***`, stray pipes and fences) are dropped.
 * A quoted answer's own headings would otherwise read like the prompt's sections (a small model often
 * echoes `## Task`), and markup-only lines are tokens that say nothing. Words, numbers and stance stay.
 */
export function flattenAnswerMarkup(text: string): string {
  return text.replace(HEADING_MARKER, '').replace(MARKUP_ONLY_LINE, '');
}

/** Replaces markdown links by their text and removes bare URLs (URLs are not facts, see `fact-check.ts`). */
export function stripLinks(text: string): string {
  return text.replace(MARKDOWN_LINK, '$1').replace(BARE_URL, '');
}
