// Imported first by main.ts: OpenTelemetry's instrumentations patch http, gRPC and ioredis as they load.
import { startTracing } from '@slm/telemetry';

// Incoming HTTP requests get their server span from the first Fastify hook (http/request-tracing.ts), not the instrumentation.
startTracing('slm-router', process.env, { incomingHttp: false });
