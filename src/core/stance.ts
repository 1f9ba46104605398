/**
 * Words that state an analyst's stance. One definition for the context manager (a digest always keeps the
 * sentence with a report's final stance) and for fact recall (which checks that stance reaches downstream).
 */
export const STANCE_PATTERN =
  /\b(strong buy|buy|sell|hold|bullish|bearish|neutral|overweight|underweight)\b/gi;

/** The stance of a text: its last stance word, lower-cased (where analysts put their conclusion). */
export function finalStance(text: string): string | undefined {
  const matches = text.match(STANCE_PATTERN);
  return matches && matches.length > 0 ? (matches[matches.length - 1] as string).toLowerCase() : undefined;
}
