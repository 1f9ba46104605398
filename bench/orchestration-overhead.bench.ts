import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { startTemporal, workflowBundle } from '../test/support/temporal-test-environment';
import { createOverheadActivities } from './support/overhead-activities';
import {
  AGENT_CALL_STEPS,
  type OverheadWorkflowInput,
  type StepExecution,
  type StepPlan,
} from './support/overhead-types';
import { fixed, markdownTable, median, printSection, progress, quantile } from './support/statistics';
import type { overheadWorkflow } from './workflows/overhead-workflow';

/**
 * What one agent call costs in orchestration alone, on a real Temporal dev server: the six pipeline steps as
 * trivial activities scheduled as normal activities, as normal activities with eager dispatch, as local
 * activities, and in tokenflow's mix. The variants run interleaved, round after round, in one process against
 * one server, so the machine's noise hits them alike; each round also runs an empty workflow, whose time
 * (start, first workflow task, completion) is subtracted.
 *
 * Environment: TOKENFLOW_BENCH_AGENT_CALLS (simulated calls per workflow, default 10), TOKENFLOW_BENCH_ROUNDS
 * (measured rounds, default 9).
 */

interface Variant {
  name: string;
  description: string;
  plan: StepPlan;
}

function planOf(execution: (step: (typeof AGENT_CALL_STEPS)[number]) => StepExecution): StepPlan {
  return Object.fromEntries(AGENT_CALL_STEPS.map((step) => [step, execution(step)])) as StepPlan;
}

/** The steps tokenflow runs through the server: the model call (long, retried, heartbeating) and the usage write. */
const TOKENFLOW_NORMAL_STEPS = new Set(['invoke', 'track']);

const VARIANTS: readonly Variant[] = [
  {
    name: 'all normal',
    description: 'every step a normal activity, eager dispatch off',
    plan: planOf(() => 'normal'),
  },
  {
    name: 'all normal, eager',
    description: 'every step a normal activity, eager dispatch allowed',
    plan: planOf(() => 'eager'),
  },
  { name: 'all local', description: 'every step a local activity', plan: planOf(() => 'local') },
  {
    name: 'tokenflow mix',
    description: 'enhance/optimize/predict/limit local, invoke/track normal (eager off)',
    plan: planOf((step) => (TOKENFLOW_NORMAL_STEPS.has(step) ? 'normal' : 'local')),
  },
  {
    name: 'tokenflow mix, eager',
    description: 'enhance/optimize/predict/limit local, invoke/track normal with eager dispatch allowed',
    plan: planOf((step) => (TOKENFLOW_NORMAL_STEPS.has(step) ? 'eager' : 'local')),
  },
];

const EMPTY_PLAN = planOf(() => 'local');

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}=${raw} is not a whole number of at least 1; unset it or give e.g. ${fallback}.`);
  }
  return value;
}

interface VariantMeasurement {
  /** Workflow time minus the same round's empty workflow, per round. */
  netMilliseconds: number[];
  /** CPU time of this process (worker and client) per round, so waiting can be told apart from work. */
  processCpuMilliseconds: number[];
  historyEvents?: number;
  workflowTasks?: number;
  /** Median schedule-to-start (server time from a task's Scheduled event to its Started event), in ms. */
  activityScheduleToStart?: number;
  workflowTaskScheduleToStart?: number;
}

/** History event types used below (temporal.api.enums.v1.EventType). */
const EVENT_TYPE = {
  workflowTaskScheduled: 5,
  workflowTaskStarted: 6,
  workflowTaskCompleted: 7,
  activityTaskScheduled: 10,
  activityTaskStarted: 11,
} as const;

type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/**
 * Reads one workflow's history: its size, its workflow tasks, and the server-side schedule-to-start latency of
 * its activity and workflow tasks (how long a task waited between being scheduled and being handed to the worker).
 */
function analyseHistory(
  events: HistoryEvents,
): Pick<
  VariantMeasurement,
  'historyEvents' | 'workflowTasks' | 'activityScheduleToStart' | 'workflowTaskScheduleToStart'
> {
  const scheduledAt = new Map<number, number>();
  const activityLatencies: number[] = [];
  const workflowTaskLatencies: number[] = [];
  for (const event of events) {
    const type = Number(event.eventType);
    const at = tsToMs(event.eventTime);
    if (type === EVENT_TYPE.activityTaskScheduled || type === EVENT_TYPE.workflowTaskScheduled) {
      scheduledAt.set(Number(event.eventId), at);
    } else if (type === EVENT_TYPE.activityTaskStarted) {
      const scheduled = scheduledAt.get(Number(event.activityTaskStartedEventAttributes?.scheduledEventId));
      if (scheduled !== undefined) activityLatencies.push(at - scheduled);
    } else if (type === EVENT_TYPE.workflowTaskStarted) {
      const scheduled = scheduledAt.get(Number(event.workflowTaskStartedEventAttributes?.scheduledEventId));
      if (scheduled !== undefined) workflowTaskLatencies.push(at - scheduled);
    }
  }
  const result: ReturnType<typeof analyseHistory> = {
    historyEvents: events.length,
    workflowTasks: events.filter((event) => Number(event.eventType) === EVENT_TYPE.workflowTaskCompleted)
      .length,
  };
  if (activityLatencies.length > 0) result.activityScheduleToStart = median(activityLatencies);
  if (workflowTaskLatencies.length > 0) result.workflowTaskScheduleToStart = median(workflowTaskLatencies);
  return result;
}

async function produce(): Promise<string> {
  const agentCalls = positiveInteger('TOKENFLOW_BENCH_AGENT_CALLS', 10);
  const rounds = positiveInteger('TOKENFLOW_BENCH_ROUNDS', 9);
  const activitiesPerWorkflow = agentCalls * AGENT_CALL_STEPS.length;

  Runtime.install({ logger: new DefaultLogger('WARN') });

  progress('orchestration-overhead: starting the Temporal dev server (test/support startTemporal)');
  const environment = await startTemporal();
  try {
    progress('orchestration-overhead: bundling bench/workflows/overhead-workflow.ts');
    const bundle = await workflowBundle(path.join(__dirname, 'workflows', 'overhead-workflow.ts'));
    const taskQueue = `tokenflow-bench-overhead-${process.pid}`;
    const worker = await Worker.create({
      connection: environment.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createOverheadActivities(),
    });

    let workflowCounter = 0;
    const runOnce = async (input: OverheadWorkflowInput) => {
      workflowCounter += 1;
      const started = performance.now();
      const handle = await environment.client.workflow.start<typeof overheadWorkflow>('overheadWorkflow', {
        taskQueue,
        workflowId: `bench-overhead-${process.pid}-${workflowCounter}`,
        args: [input],
      });
      const result = await handle.result();
      const milliseconds = performance.now() - started;
      if (result.completedSteps !== input.agentCalls * AGENT_CALL_STEPS.length) {
        throw new Error(
          `overheadWorkflow completed ${result.completedSteps} steps instead of ${input.agentCalls * AGENT_CALL_STEPS.length}.`,
        );
      }
      return { milliseconds, handle };
    };

    const measurements = new Map<string, VariantMeasurement>(
      VARIANTS.map((variant) => [variant.name, { netMilliseconds: [], processCpuMilliseconds: [] }]),
    );
    const emptyMilliseconds: number[] = [];

    await worker.runUntil(async () => {
      progress('orchestration-overhead: warm-up (one workflow per variant, not measured)');
      await runOnce({ agentCalls: 0, plan: EMPTY_PLAN });
      for (const variant of VARIANTS) await runOnce({ agentCalls, plan: variant.plan });
      const lastHandles = new Map<string, WorkflowHandle>();

      for (let round = 0; round < rounds; round += 1) {
        // Rotate the order each round so no variant always runs first (or right after a slow neighbour).
        const order = VARIANTS.map(
          (_variant, index) => VARIANTS[(index + round) % VARIANTS.length] as Variant,
        );
        const empty = await runOnce({ agentCalls: 0, plan: EMPTY_PLAN });
        emptyMilliseconds.push(empty.milliseconds);
        for (const variant of order) {
          const cpuBefore = process.cpuUsage();
          const { milliseconds, handle } = await runOnce({ agentCalls, plan: variant.plan });
          const cpu = process.cpuUsage(cpuBefore);
          lastHandles.set(variant.name, handle);
          const measurement = measurements.get(variant.name);
          measurement?.netMilliseconds.push(milliseconds - empty.milliseconds);
          measurement?.processCpuMilliseconds.push((cpu.user + cpu.system) / 1000);
        }
        progress(`orchestration-overhead: round ${round + 1}/${rounds} done`);
      }
      // The histories of the last round's workflows: where the time of a normal activity goes.
      for (const [name, handle] of lastHandles) {
        const measurement = measurements.get(name);
        if (measurement)
          Object.assign(measurement, analyseHistory((await handle.fetchHistory()).events ?? []));
      }
    });

    return render({ agentCalls, rounds, activitiesPerWorkflow, measurements, emptyMilliseconds });
  } finally {
    await environment.teardown();
  }
}

function render(input: {
  agentCalls: number;
  rounds: number;
  activitiesPerWorkflow: number;
  measurements: Map<string, VariantMeasurement>;
  emptyMilliseconds: number[];
}): string {
  const { agentCalls, rounds, activitiesPerWorkflow, measurements } = input;
  const perCall = (name: string) => median(measurements.get(name)?.netMilliseconds ?? []) / agentCalls;
  const rows = VARIANTS.map((variant) => {
    const measurement = measurements.get(variant.name) ?? { netMilliseconds: [], processCpuMilliseconds: [] };
    const net = measurement.netMilliseconds;
    const callMedian = median(net) / agentCalls;
    return [
      `**${variant.name}**: ${variant.description}`,
      fixed(median(net) / activitiesPerWorkflow, 2),
      fixed(callMedian, 1),
      `${fixed(quantile(net, 0.25) / agentCalls, 1)}-${fixed(quantile(net, 0.75) / agentCalls, 1)}`,
      fixed(callMedian / perCall('all normal'), 2),
      fixed(median(measurement.processCpuMilliseconds) / agentCalls, 1),
      measurement.activityScheduleToStart === undefined ? '-' : fixed(measurement.activityScheduleToStart, 1),
      measurement.workflowTaskScheduleToStart === undefined
        ? '-'
        : fixed(measurement.workflowTaskScheduleToStart, 1),
      measurement.historyEvents === undefined ? 'n/a' : String(measurement.historyEvents),
      measurement.workflowTasks === undefined ? 'n/a' : String(measurement.workflowTasks),
    ];
  });
  const mix = perCall('tokenflow mix');
  const mixEager = perCall('tokenflow mix, eager');
  const allNormal = perCall('all normal');
  const allNormalEager = perCall('all normal, eager');
  const allLocal = perCall('all local');
  const steps = AGENT_CALL_STEPS.length;
  const normalActivityWait = measurements.get('all normal')?.activityScheduleToStart ?? Number.NaN;
  const normalWorkflowTaskWait = measurements.get('all normal')?.workflowTaskScheduleToStart ?? Number.NaN;
  const eagerActivityWait = measurements.get('all normal, eager')?.activityScheduleToStart ?? Number.NaN;
  return [
    '## Orchestration overhead: normal vs local activities',
    '',
    'The measurement behind the design choice in `src/workflows/pipeline-proxies.ts`: the pure steps of an agent call',
    '(enhance, optimize, predict, limit) run as local activities, and only the model call (invoke) and the usage',
    'write (track) go through the server as normal activities. Bench: `bench/orchestration-overhead.bench.ts` with',
    '`bench/workflows/overhead-workflow.ts` on a real Temporal dev server started by `startTemporal()`',
    '(test/support/temporal-test-environment.ts; it passes',
    '`--dynamic-config-value system.enableActivityEagerExecution=true`), one worker on one task queue, trivial',
    'activities (each returns its small input), so the time is orchestration only. Eager dispatch is switched per',
    'variant with `allowEagerDispatch` on the same server, so eager and non-eager run side by side.',
    '',
    `Each workflow runs ${agentCalls} simulated agent calls of ${steps} sequential steps (${activitiesPerWorkflow} activities).`,
    `${rounds} measured rounds after one warm-up workflow per variant; each round runs an empty workflow and then every`,
    "variant once, in an order rotated per round; a variant's time is its workflow time minus the same round's empty",
    `workflow (median empty workflow: ${fixed(median(input.emptyMilliseconds), 1)} ms). Figures are medians over the rounds;`,
    '"bench CPU" is the CPU time of the bench process (worker and client, not the server) per agent call;',
    '"schedule-to-start" is the median server time between a task\'s Scheduled and Started events, and "history',
    'events" and "workflow tasks" are counted, in the history of the variant\'s workflow of the last round.',
    '',
    markdownTable(
      [
        'variant',
        'ms per activity',
        'ms per agent call',
        'per call, IQR',
        'vs all normal',
        'bench CPU ms per call',
        'activity task schedule-to-start ms',
        'workflow task schedule-to-start ms',
        'history events',
        'workflow tasks',
      ],
      rows,
    ),
    '',
    `Per agent call: all normal ${fixed(allNormal, 1)} ms, all normal with eager dispatch ${fixed(allNormalEager, 1)} ms,`,
    `all local ${fixed(allLocal, 1)} ms, tokenflow's mix ${fixed(mix, 1)} ms (${fixed(mixEager, 1)} ms with eager dispatch).`,
    `The mix takes ${fixed(mix / allNormal, 2)}x the orchestration time of all-normal (${fixed(allNormal - mix, 1)} ms less per`,
    `agent call; ${fixed(allNormalEager - mixEager, 1)} ms less with eager dispatch on both) and ${fixed(mix - allLocal, 1)} ms more than`,
    'all-local, which buys server-side retries, heartbeats and timeouts for the model call, and a usage write whose',
    'completion is recorded in history on its own.',
    `A normal activity costs two task dispatches, the activity task and the workflow task that handles its result; on`,
    `this dev server each waited about ${fixed(normalActivityWait, 0)} ms (activity) and ${fixed(normalWorkflowTaskWait, 0)} ms (workflow task) between scheduled and`,
    'started, which is most of its time: the cost is waiting on the server, not CPU (compare the bench CPU column).',
    `Eager dispatch hands the activity to the worker in the workflow-task response (schedule-to-start ${fixed(eagerActivityWait, 1)} ms)`,
    `and saves ${fixed((allNormal - allNormalEager) / steps, 1)} ms per activity. A production cluster will give other absolute figures; the`,
    'ranking is what the design rests on.',
  ].join('\n');
}

printSection(produce);
