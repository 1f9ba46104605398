import { registerAgent } from '../../src/agents';
import { macroAnalyst } from './macro-analyst';

// Imported for its effect, first, by every module that must know the macro analyst: the test process (config,
// activities, the fake server's role detection) and the workflow bundle (extra-analyst-workflows.ts).
registerAgent(macroAnalyst);
