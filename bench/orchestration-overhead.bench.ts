import { createServer } from 'node:net';
import path from 'node:path';
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
  { name: 'all normal', description: 'every step a normal activity, eager dispatch off', plan: planOf(() => 'normal') },
  { name: 'all normal, eager', description: 'every step a normal activity, eager dispatch allowed', plan: planOf(() => 'eager') },
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

/** A free TCP port on 127.0.0.1 for the worker's Prometheus endpoint. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The worker's count of activity tasks received by polling the task queue. An eagerly dispatched activity
 * arrives in the workflow-task response instead, so this counter tells whether eager dispatch happened.
 */
async function polledActivityTasks(metricsUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(metricsUrl);
    const text = await response.text();
    let total = 0;
    let found = false;
    for (const line of text.split('\n')) {
      if (!/^temporal_activity_task_received(?:_total)?[{ ]/.test(line)) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) {
        total += value;
        found = true;
      }
    }
    return found ? total : undefined;
  } catch {
    return undefined;
  }
}

interface VariantMeasurement {
  /** Workflow time minus the same round's empty workflow, per round. */
  netMilliseconds: number[];
  historyEvents?: number;
  workflowTasks?: number;
  polledShare?: number;
}

async function produce(): Promise<string> {
  const agentCalls = positiveInteger('TOKENFLOW_BENCH_AGENT_CALLS', 10);
  const rounds = positiveInteger('TOKENFLOW_BENCH_ROUNDS', 9);
  const activitiesPerWorkflow = agentCalls * AGENT_CALL_STEPS.length;

  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } },
  });

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
        throw new Error(`overheadWorkflow completed ${result.completedSteps} steps instead of ${input.agentCalls * AGENT_CALL_STEPS.length}.`);
      }
      return { milliseconds, handle };
    };

    const measurements = new Map<string, VariantMeasurement>(VARIANTS.map((variant) => [variant.name, { netMilliseconds: [] }]));
    const emptyMilliseconds: number[] = [];
    const polled = new Map<string, number>();
    let metricsAvailable = true;

    await worker.runUntil(async () => {
      progress('orchestration-overhead: warm-up (one workflow per variant, not measured)');
      await runOnce({ agentCalls: 0, plan: EMPTY_PLAN });
      for (const variant of VARIANTS) {
        const { handle } = await runOnce({ agentCalls, plan: variant.plan });
        const history = await handle.fetchHistory();
        const events = history.events ?? [];
        const measurement = measurements.get(variant.name);
        if (measurement) {
          measurement.historyEvents = events.length;
          // Event type 7 is WorkflowTaskCompleted (temporal.api.enums.v1.EventType).
          measurement.workflowTasks = events.filter((event) => Number(event.eventType) === 7).length;
        }
      }

      for (let round = 0; round < rounds; round += 1) {
        // Rotate the order each round so no variant always runs first (or right after a slow neighbour).
        const order = VARIANTS.map((_variant, index) => VARIANTS[(index + round) % VARIANTS.length] as Variant);
        const empty = await runOnce({ agentCalls: 0, plan: EMPTY_PLAN });
        emptyMilliseconds.push(empty.milliseconds);
        for (const variant of order) {
          const before = metricsAvailable ? await polledActivityTasks(metricsUrl) : undefined;
          const { milliseconds } = await runOnce({ agentCalls, plan: variant.plan });
          const after = metricsAvailable ? await polledActivityTasks(metricsUrl) : undefined;
          if (before === undefined || after === undefined) metricsAvailable = false;
          else polled.set(variant.name, (polled.get(variant.name) ?? 0) + (after - before));
          measurements.get(variant.name)?.netMilliseconds.push(milliseconds - empty.milliseconds);
        }
        progress(`orchestration-overhead: round ${round + 1}/${rounds} done`);
      }
    });

    for (const variant of VARIANTS) {
      const measurement = measurements.get(variant.name);
      const normalSteps = AGENT_CALL_STEPS.filter((step) => variant.plan[step] !== 'local').length;
      if (measurement && metricsAvailable && normalSteps > 0) {
        measurement.polledShare = (polled.get(variant.name) ?? 0) / (rounds * agentCalls * normalSteps);
      }
    }

    return render({ agentCalls, rounds, activitiesPerWorkflow, measurements, emptyMilliseconds, metricsAvailable });
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
  metricsAvailable: boolean;
}): string {
  const { agentCalls, rounds, activitiesPerWorkflow, measurements } = input;
  const perCall = (name: string) => median(measurements.get(name)?.netMilliseconds ?? []) / agentCalls;
  const rows = VARIANTS.map((variant) => {
    const measurement = measurements.get(variant.name) ?? { netMilliseconds: [] };
    const net = measurement.netMilliseconds;
    const callMedian = median(net) / agentCalls;
    return [
      `**${variant.name}**: ${variant.description}`,
      fixed(median(net) / activitiesPerWorkflow, 2),
      fixed(callMedian, 1),
      `${fixed(quantile(net, 0.25) / agentCalls, 1)}-${fixed(quantile(net, 0.75) / agentCalls, 1)}`,
      fixed(callMedian / perCall('all normal'), 2),
      measurement.historyEvents === undefined ? 'n/a' : String(measurement.historyEvents),
      measurement.workflowTasks === undefined ? 'n/a' : String(measurement.workflowTasks),
      measurement.polledShare === undefined ? '-' : `${fixed(measurement.polledShare * 100, 0)}%`,
    ];
  });
  const mix = perCall('tokenflow mix');
  const mixEager = perCall('tokenflow mix, eager');
  const allNormal = perCall('all normal');
  const allNormalEager = perCall('all normal, eager');
  const allLocal = perCall('all local');
  const eagerShare = measurements.get('all normal, eager')?.polledShare;
  return [
    '## Orchestration overhead: normal vs local activities',
    '',
    'The measurement behind the design choice in `src/workflows/agent-call.ts`: the pure steps of an agent call',
    '(enhance, optimize, predict, limit) run as local activities and only the model call (invoke) and the usage',
    'write (track) go through the server as normal activities. Bench: `bench/orchestration-overhead.bench.ts` with',
    '`bench/workflows/overhead-workflow.ts` on a real Temporal dev server started by `startTemporal()`',
    '(test/support/temporal-test-environment.ts, which passes',
    '`--dynamic-config-value system.enableActivityEagerExecution=true`), one worker, trivial activities (each returns',
    'its small input), so the time is orchestration only. Eager dispatch is switched per variant with',
    '`allowEagerDispatch` on the same server, so eager and non-eager are measured side by side.',
    '',
    `Each workflow runs ${agentCalls} simulated agent calls of 6 sequential steps (${activitiesPerWorkflow} activities).`,
    `${rounds} measured rounds after one warm-up workflow per variant; each round runs an empty workflow and then every`,
    'variant once, in an order rotated per round; a variant\'s time is its workflow time minus the same round\'s empty',
    `workflow (median empty workflow: ${fixed(median(input.emptyMilliseconds), 1)} ms). Figures are medians over the rounds.`,
    '',
    markdownTable(
      [
        'variant',
        'ms per activity',
        'ms per agent call',
        'per call, IQR',
        'vs all normal',
        'history events',
        'workflow tasks',
        'normal steps polled',
      ],
      rows,
    ),
    '',
    '"normal steps polled" is the share of normal activities the worker received by polling the task queue',
    '(its `activity_task_received` metric); an eagerly dispatched activity arrives in the workflow-task response',
    `instead, so a share below 100% shows eager dispatch at work.${input.metricsAvailable ? '' : ' (The metric could not be read in this run.)'}`,
    '"history events" and "workflow tasks" are of one workflow of the variant.',
    '',
    `Per agent call: all normal ${fixed(allNormal, 1)} ms, all normal with eager dispatch ${fixed(allNormalEager, 1)} ms,`,
    `all local ${fixed(allLocal, 1)} ms, tokenflow's mix ${fixed(mix, 1)} ms (${fixed(mixEager, 1)} ms with eager dispatch).`,
    `The mix costs ${fixed(mix / allNormal, 2)}x the orchestration time of all-normal`,
    `(${fixed(allNormal - mix, 1)} ms saved per agent call) and ${fixed(mix - allLocal, 1)} ms more than all-local, which`,
    'buys server-side retries, heartbeats and timeouts for the model call and an at-most-once usage write per call.',
    eagerShare === undefined
      ? ''
      : `With eager dispatch allowed, ${fixed(eagerShare * 100, 0)}% of the normal activities still came through polling.`,
  ]
    .filter((line, index, lines) => !(line === '' && lines[index - 1] === ''))
    .join('\n');
}

printSection(produce);
