import './tracing';
import { bootstrapWorker } from '@slm/worker-runtime';
import { sciencePolicy } from './science.policy';

void bootstrapWorker(sciencePolicy);
