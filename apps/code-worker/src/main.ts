import './tracing';
import { bootstrapWorker } from '@slm/worker-runtime';
import { codePolicy } from './code.policy';

void bootstrapWorker(codePolicy);
