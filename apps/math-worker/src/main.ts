import './tracing';
import { bootstrapWorker } from '@slm/worker-runtime';
import { mathPolicy } from './math.policy';

void bootstrapWorker(mathPolicy);
