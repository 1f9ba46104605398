import { agentLabel, isRepairCall } from '../../src/core/agents';
import { meanAbsolutePercentageError } from '../../src/core/predictor';
import type { AnalysisResult, CallSummary } from '../../src/core/run-types';
import { correlation, fixed } from './statistics';

/** A correlation this weak (in absolute value) explains under a tenth of the spread: not worth a model term. */
const WEAK_CORRELATION = 0.3;
/** Characters of the worst call's answer quoted in the report. */
const QUOTED_CHARACTERS = 400;

/**
 * Where the prediction error of the held-out runs comes from, as a paragraph for BENCHMARKS.md: the one call
 * with the largest percentage error (what MAPE weighs most) with its answer, and whether anything known
 * before a call (its prompt's length, its place in the run, how the run's earlier answers came out against
 * their predictions) tells a long answer from a short one. `runLabels[i]` names `results[i]`.
 */
export function describeErrorSources(
  results: readonly AnalysisResult[],
  runLabels: readonly string[],
): string {
  const predicted = results.flatMap((result, run) =>
    result.calls
      .map((call, position) => ({ call, position, run, result }))
      .filter(({ call }) => call.predictedTokens !== undefined && call.completionTokens > 0),
  );
  if (predicted.length === 0) return 'No held-out call carried a prediction.';
  const percentageError = (call: CallSummary) =>
    Math.abs((call.predictedTokens as number) - call.completionTokens) / call.completionTokens;
  const worst = predicted.reduce((found, entry) =>
    percentageError(found.call) >= percentageError(entry.call) ? found : entry,
  );
  const others = meanAbsolutePercentageError(
    predicted
      .filter((entry) => entry !== worst)
      .map(({ call }) => ({ predicted: call.predictedTokens as number, actual: call.completionTokens })),
  );
  const repair = isRepairCall(worst.call.callId);
  // `reports` keeps each agent's last answer as the run kept it (after the word limit): with one round, this call's.
  const answer = repair ? undefined : worst.result.reports[worst.call.agent]?.replace(/\s+/g, ' ').trim();
  const quoted =
    answer === undefined
      ? ''
      : ` Its answer${answer.length > QUOTED_CHARACTERS ? ' begins' : ''}: "${answer.slice(0, QUOTED_CHARACTERS)}${answer.length > QUOTED_CHARACTERS ? '...' : ''}".`;

  const answers = predicted.filter(({ call }) => !isRepairCall(call.callId));
  const residual = (call: CallSummary) => Math.log(call.completionTokens / (call.predictedTokens as number));
  const withEarlier = answers.flatMap((entry) => {
    const earlier = answers.filter((other) => other.run === entry.run && other.position < entry.position);
    if (earlier.length === 0) return [];
    const mean = earlier.reduce((sum, other) => sum + residual(other.call), 0) / earlier.length;
    return [{ earlier: mean, own: residual(entry.call) }];
  });
  const residuals = answers.map(({ call }) => residual(call));
  const correlations = [
    {
      what: "the call's prompt tokens",
      value: correlation(
        answers.map(({ call }) => call.promptTokens),
        residuals,
      ),
    },
    {
      what: 'its place in the run',
      value: correlation(
        answers.map(({ position }) => position),
        residuals,
      ),
    },
    {
      what: "the mean of the same run's earlier calls",
      value: correlation(
        withEarlier.map((pair) => pair.earlier),
        withEarlier.map((pair) => pair.own),
      ),
    },
  ];
  const measured = correlations.filter(({ value }) => Number.isFinite(value));
  const strong = measured.filter(({ value }) => Math.abs(value) >= WEAK_CORRELATION);
  const verdict =
    measured.length === 0
      ? 'too few answers with spread to tell'
      : strong.length === 0
        ? `${measured.length === correlations.length ? 'every one' : 'every one measured'} is under ${WEAK_CORRELATION} in absolute value, so none of them, as a model term or as an in-run adjustment, would make the prediction much better`
        : `${strong.map(({ what }) => what).join(' and ')} ${strong.length === 1 ? 'reaches' : 'reach'} ${WEAK_CORRELATION} or more in absolute value: a term worth learning`;
  return [
    `Where the error comes from: the held-out call with the largest percentage error is the ${agentLabel(worst.call.agent)}${repair ? ' (decision repair)' : ''} of ${runLabels[worst.run] ?? 'n/a'}, predicted ${worst.call.predictedTokens} tokens, answered in ${worst.call.completionTokens} (finish reason ${worst.call.finishReason}). Alone it adds ${fixed((percentageError(worst.call) / predicted.length) * 100)} points to the MAPE; the other ${predicted.length - 1} calls score ${fixed(others * 100)}%.${quoted}`,
    '',
    `Whether anything known before a call tells a long answer from a short one: the correlation of log(actual / predicted) with ${correlations.map(({ what, value }) => `${what} is ${fixed(value, 2)}`).join(', with ')} (${answers.length} answers; decision repairs left out). ${verdict.charAt(0).toUpperCase()}${verdict.slice(1)}.`,
  ].join('\n');
}
