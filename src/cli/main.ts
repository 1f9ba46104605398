#!/usr/bin/env node
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { ConfigError } from '../config/load-config';
import { ANALYZE_USAGE, analyzeCommand } from './commands/analyze';
import { inspectCommand } from './commands/inspect';
import { workerCommand } from './commands/worker';
import { compareCommand } from './commands/compare';
import { BACKTEST_USAGE, backtestCommand } from './commands/backtest';
import { learnCommand } from './commands/learn';
import { BUDGET_USAGE, budgetCommand } from './commands/budget';
import { POOL_USAGE, poolCommand } from './commands/pool';
import { reportCommand } from './commands/report';
import { CODEC_SERVER_USAGE, codecServerCommand } from './commands/codec-server';
import { DASHBOARD_USAGE, dashboardCommand } from './commands/dashboard';
import { loadConfig } from '../config/load-config';
import { startDevServer } from './temporal-connection';
import { failureMessage } from './failure-message';
import { commandServesMetrics } from '../monitoring/metrics-settings';
import { installTemporalRuntime } from '../monitoring/temporal-runtime';

const USAGE = `Usage:
  ${ANALYZE_USAGE}
  tokenflow status <workflowId> [--json]     progress and budget of a running analysis
  tokenflow result <workflowId> [--json]     decision and token report of a finished analysis
  tokenflow usage <workflowId> [--json]      the run's token ledger: every call and attempt
  ${BUDGET_USAGE}  raise a run's hard cap (a paused run goes on)
  ${POOL_USAGE}     a token pool's period, spent and waiting runs; --raise adds tokens
  tokenflow worker                           run a worker (workflows and activities; metrics on 127.0.0.1:9464)
  tokenflow compare <TICKER> --date D        baseline vs optimized on the same inputs (A/B report)
  ${BACKTEST_USAGE}
  tokenflow learn [--schedule]               recalibrate now (or create the learning Schedule)
  tokenflow report [--day D] [--html FILE] [--json]  daily report of a UTC day: usage, cost, alerts
  tokenflow dev                              start the local Temporal dev server (UI on :8233)
  ${CODEC_SERVER_USAGE}
  ${DASHBOARD_USAGE}

Configuration: tokenflow.config.json|yaml or TOKENFLOW_CONFIG, and OPENAI_BASE_URL, OPENAI_API_KEY,
TOKENFLOW_MODEL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE. Without an endpoint the embedded local model is used.`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // The SDK's worker chatter is noise on a user's terminal; TOKENFLOW_LOG_LEVEL=INFO brings it back.
  const level = (process.env.TOKENFLOW_LOG_LEVEL ?? (command === 'worker' ? 'INFO' : 'ERROR')).toUpperCase();
  // Temporal's SDK metrics must be asked for as the Runtime is installed, before the command loads anything.
  await installTemporalRuntime({
    logger: new DefaultLogger(level as LogLevel),
    temporalMetrics: commandServesMetrics(command, rest),
  });
  switch (command) {
    case 'analyze':
      return analyzeCommand(rest);
    case 'status':
    case 'result':
    case 'usage':
      return inspectCommand(command, rest);
    case 'worker':
      return workerCommand(rest);
    case 'compare':
      return compareCommand(rest);
    case 'backtest':
      return backtestCommand(rest);
    case 'learn':
      return learnCommand(rest);
    case 'budget':
      return budgetCommand(rest);
    case 'pool':
      return poolCommand(rest);
    case 'report':
      return reportCommand(rest);
    case 'dev':
      return startDevServer(loadConfig());
    case 'codec-server':
      return codecServerCommand(rest);
    case 'dashboard':
      return dashboardCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new Error(`Unknown command "${command}".\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : failureMessage(error);
  process.stderr.write(`tokenflow: ${message}\n`);
  process.exit(1);
});
