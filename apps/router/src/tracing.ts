// Imported first by main.ts: OpenTelemetry's instrumentations patch http, gRPC and ioredis as they load.
import { startTracing } from '@slm/telemetry';

startTracing('slm-router');
