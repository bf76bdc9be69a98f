import { bootstrapWorker, createEngine } from '@slm/worker-runtime';
import { mathPolicy } from '../src/math.policy';
import { withChunkDelay } from '../../../libs/worker-runtime/test/chunk-delay.engine';

// Tests only: the math worker exactly as src/main.ts starts it, except that its engine pauses
// `argv[2]` ms after each streamed chunk, so a job is reliably mid-generation when a test kills or
// stops the process. `spawnWorker('math-worker', env, { main: this file, args: [ms] })` runs it.
void bootstrapWorker(mathPolicy, { engineFactory: withChunkDelay(createEngine, Number(process.argv[2])) });
