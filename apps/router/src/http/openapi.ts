import type { INestApplication } from '@nestjs/common';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { AppError, ErrorCode, httpStatusOf } from '@slm/platform';
import { batchProblemSchema, batchRequestSchema, offsetQuerySchema } from '../batches/batch.schemas';
import { chatMessageSchema, classifyRequestSchema, problemFields, solveRequestSchema } from '../solve/problem.schemas';
import { httpErrorBodySchema } from './http-errors.filter';
import { openAiErrorBodySchema } from './openai-errors';
import { chatCompletionRequestSchema } from './openai.schemas';
import { protoJsonSchemas, type JsonSchema } from './proto-json-schema';

/**
 * The OpenAPI version the document is: its schemas are JSON Schema 2020-12, as z.toJSONSchema
 * writes them, which OpenAPI 3.0's schema dialect is not.
 */
const OPENAPI_VERSION = '3.1.1';

/** Where the document and its Swagger UI page are served. */
const OPENAPI_JSON_PATH = '/openapi.json';
const DOCS_PATH = '/docs';

/**
 * A zod schema as the JSON Schema the OpenAPI document shows: the document is generated from the
 * same schemas that validate requests, so it cannot drift from the code.
 */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Serves the document at /openapi.json and a Swagger UI page (assets from swagger-ui-dist, served here) at /docs. */
export function serveApiDocs(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  // @nestjs/swagger 11 serves Swagger UI's files through @fastify/static ^9, @nestjs/platform-fastify
  // 11.2 wants ^10: no version satisfies both, and a route serving the few files does the same.
  // (Only what SwaggerModule.setup uses of the app; no global prefix.)
  const docsApp = {
    getHttpAdapter: () => app.getHttpAdapter(),
    useStaticAssets: (options: { root: string; prefix: string }) => serveAssets(app, options.root, options.prefix),
  } as unknown as NestFastifyApplication;
  // Nest's OpenAPIObject type is 3.0's; the document is 3.1 (JSON Schema 2020-12), which Swagger UI 5 renders.
  SwaggerModule.setup(DOCS_PATH, docsApp, document as unknown as OpenAPIObject, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'slm-router API',
    // Swagger UI's default validator badge calls validator.swagger.io: the page stays offline.
    swaggerOptions: { validatorUrl: null },
  });
}

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
};

/** Serves Swagger UI's files (swagger-ui-dist's folder, read once) at `prefix/<file>`. */
function serveAssets(app: NestFastifyApplication, root: string, prefix: string): NestFastifyApplication {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of readdirSync(root)) {
    const type = ASSET_TYPES[path.extname(name)];
    if (type && name !== 'index.html') files.set(name, { type, body: readFileSync(path.join(root, name)) });
  }
  app
    .getHttpAdapter()
    .getInstance()
    .get<{ Params: { file: string } }>(`${prefix}/:file`, (request, reply) => {
      const file = files.get(request.params.file);
      if (!file) throw new AppError(ErrorCode.NOT_FOUND, `no route GET ${prefix}/${request.params.file.slice(0, 100)}`);
      return reply.header('cache-control', 'public, max-age=3600').type(file.type).send(file.body);
    });
  return app;
}

/**
 * The OpenAPI 3.1 document: paths, summaries and tags from the controllers' decorators; request
 * schemas from the zod schemas the handlers validate with; response schemas from the .proto
 * messages the handlers answer (Result, RouteDecision, BatchStatus, …), zod schemas of the other
 * answers, and the error bodies the error mapping sends. Each operation the controllers declare
 * takes its request and responses from its entry in {@link OPERATIONS}.
 */
function buildOpenApiDocument(app: INestApplication): JsonSchema {
  const scanned = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('slm-router')
      .setDescription('Routes math, code and science problems to specialised small language models.')
      .setVersion('1')
      .addTag('solve', 'REST: classify and solve one problem, or only classify it.')
      .addTag('openai', "OpenAI-compatible chat completions and model list; errors in OpenAI's shape.")
      .addTag('batches', 'Batch solving through the queues.')
      .addTag('operations', 'Liveness, readiness and Prometheus metrics.')
      .build(),
  );
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [path, item] of Object.entries(scanned.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const key = `${method} ${path}`;
      // An operation missing here stays in the document without response schemas, which
      // openapi.int-spec reports; the router still starts.
      const doc: OperationDoc = (OPERATIONS as Record<string, OperationDoc | undefined>)[key] ?? {
        responses: { default: { description: 'Not documented yet.' } },
      };
      const { requestBody: _scannedBody, responses: _scannedResponses, parameters: scannedParameters = [], ...described } = operation;
      const parameters = mergeParameters(scannedParameters as unknown as JsonSchema[], doc.parameters ?? []);
      paths[path] ??= {};
      paths[path][method] = {
        ...described,
        ...(parameters.length ? { parameters } : {}),
        ...(doc.request ? { requestBody: { required: true, content: doc.request } } : {}),
        responses: doc.responses,
      };
    }
  }
  return {
    openapi: OPENAPI_VERSION,
    info: scanned.info,
    tags: scanned.tags,
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key from `slm keys create` (slm_<id>_<secret>); not needed while the router has no key (anonymous mode). /healthz and /readyz never need one.',
        },
      },
    },
    // A key, or none in anonymous mode.
    security: [{ apiKey: [] }, {}],
  };
}

/** The controllers' parameters, each replaced by the one described here with the same name and place. */
function mergeParameters(scanned: readonly JsonSchema[], described: readonly JsonSchema[]): JsonSchema[] {
  const key = (p: JsonSchema) => `${String(p.in)} ${String(p.name).toLowerCase()}`;
  const replaced = new Set(described.map(key));
  return [...scanned.filter((p) => !replaced.has(key(p))), ...described];
}

const ref = (id: string) => `#/components/schemas/${id}`;
const schemaRef = (id: string): JsonSchema => ({ $ref: ref(id) });
const json = (id: string) => ({ 'application/json': { schema: schemaRef(id) } });

/** The proto messages the handlers answer with, by their simple names (their enums and parts follow). */
const PROTO_MESSAGES = ['Result', 'RouteDecision', 'ExtractedAnswer', 'TokenDelta', 'BatchStatus', 'BatchItem'] as const;
type ProtoMessage = (typeof PROTO_MESSAGES)[number];

/** Every schema of `components.schemas`: zod schemas (requests, answers, errors) and proto messages. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  const descriptions: Record<string, string> = {};
  const add = (id: string, schema: z.ZodType, description?: string) => {
    registry.add(schema, { id });
    if (description) descriptions[id] = description;
  };
  // Stand-ins for proto messages inside zod schemas: zod writes a $ref to them, and the
  // proto-derived schema takes their place below.
  const stand = new Map<ProtoMessage, z.ZodType>();
  const proto = (name: ProtoMessage): z.ZodType => {
    let schema = stand.get(name);
    if (!schema) stand.set(name, (schema = z.custom<unknown>()));
    return schema;
  };

  add('ChatMessage', chatMessageSchema);
  add('GenerationOptions', problemFields.options.unwrap(), 'Sampling and stopping controls; every field optional.');
  add(
    'SolveRequest',
    solveRequestSchema,
    'One problem: exactly one of `text` or `messages`. `stream: true` (or `Accept: text/event-stream`) streams the answer.',
  );
  add('ClassifyRequest', classifyRequestSchema);
  add('BatchProblem', batchProblemSchema, 'One problem of a batch (array item or JSONL line): exactly one of `text` or `messages`.');
  // The handler reads `problems` as unknown[] and then validates each one as a BatchProblem.
  add('BatchRequest', batchRequestSchema.extend({ problems: z.array(batchProblemSchema).min(1) }));
  add(
    'ChatCompletionRequest',
    chatCompletionRequestSchema,
    'OpenAI chat completion request; fields the router does not use are accepted and ignored.',
  );

  add('SolveResponse', z.object({ result: proto('Result') }));
  add('ClassifyResponse', z.object({ route: proto('RouteDecision') }));
  add(
    'BatchSubmitted',
    batchSubmittedSchema,
    'The batch id; a resubmission with the same idempotency key returns the first batch, `deduplicated: true`.',
  );
  add('BatchStatusResponse', z.object({ status: proto('BatchStatus') }));
  const usage = z.object({ prompt_tokens: z.int().min(0), completion_tokens: z.int().min(0), total_tokens: z.int().min(0) });
  const finishReason = z.enum(['stop', 'length']);
  add(
    'ChatCompletion',
    z.object({
      id: z.string(),
      object: z.literal('chat.completion'),
      created: z.int().describe('Unix seconds'),
      model: z.string().describe('the model that answered'),
      choices: z.array(
        z.object({
          index: z.int(),
          message: z.object({
            role: z.literal('assistant'),
            content: z.string(),
            reasoning_content: z.string().optional().describe('the reasoning, when the model reasoned'),
          }),
          finish_reason: finishReason,
          logprobs: z.null(),
        }),
      ),
      usage,
      route: proto('RouteDecision').nullable().describe('how the router routed the problem (router extension)'),
      extracted: proto('ExtractedAnswer').nullable().describe('the answer extracted by the domain rules (router extension)'),
    }),
  );
  add(
    'ChatCompletionChunk',
    z.object({
      id: z.string(),
      object: z.literal('chat.completion.chunk'),
      created: z.int(),
      model: z.string(),
      choices: z.array(
        z.object({
          index: z.int(),
          delta: z.object({
            role: z.literal('assistant').optional(),
            content: z.string().optional(),
            reasoning_content: z.string().optional(),
          }),
          finish_reason: finishReason.nullable(),
          logprobs: z.null(),
        }),
      ),
      route: proto('RouteDecision').nullable().optional().describe('on the first and the last chunk (router extension)'),
      usage: usage.optional().describe('on a last chunk with no choices, when stream_options.include_usage'),
    }),
  );
  add(
    'ModelList',
    z.object({
      object: z.literal('list'),
      data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.int(), owned_by: z.string() })),
    }),
    'auto (classify), math, code, science, then the configured aliases (ROUTER_MODEL_ALIASES).',
  );
  add('Health', z.object({ status: z.literal('ok') }));
  const workerReadiness = z.object({
    serving: z.boolean().describe('a replica of the domain answered its last health check SERVING'),
    replicas: z.array(
      z.object({
        address: z.string().optional().describe('host:port of the replica; only with ?verbose=true where ROUTER_READYZ_DETAILS=true'),
        state: z.enum(['unknown', 'serving', 'not_serving']),
        capacity: z.int().min(0).optional().describe('what the replica takes at once (slots and queue), once known'),
        inFlight: z.int().min(0).optional().describe("this router's calls open on it"),
      }),
    ),
  });
  add(
    'Readiness',
    z.object({
      status: z.enum(['ready', 'not ready']),
      redis: z.enum(['up', 'down']),
      workers: z.object({ math: workerReadiness, code: workerReadiness, science: workerReadiness }),
    }),
  );
  add('ErrorDetail', httpErrorBodySchema.shape.error, 'An error: a stable code and a message that says what is wrong.');
  add('ErrorBody', httpErrorBodySchema, 'The error body of the REST, batch and operations routes.');
  add(
    'OpenAiErrorBody',
    openAiErrorBodySchema,
    "The error body of the OpenAI-compatible routes (OpenAI's shape; `code` is the router's code).",
  );
  for (const [name, schema] of stand) add(name, schema);

  const { schemas } = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: ref }) as {
    schemas: Record<string, JsonSchema>;
  };
  const components: Record<string, JsonSchema> = {};
  for (const [id, { $schema: _dialect, $id: _id, ...schema }] of Object.entries(schemas)) {
    components[id] = descriptions[id] ? { description: descriptions[id], ...schema } : schema;
  }
  // The refine of withOneInput, which JSON Schema can say: exactly one of text or messages.
  for (const id of ['SolveRequest', 'BatchProblem'])
    components[id] = { ...components[id], oneOf: [{ required: ['text'] }, { required: ['messages'] }] };
  const fromProto = protoJsonSchemas(PROTO_MESSAGES, { refOf: ref, partial: ['BatchItem'] });
  for (const [id, schema] of Object.entries(fromProto)) {
    if (id in components && !stand.has(id as ProtoMessage)) throw new Error(`openapi: component ${id} is both a zod and a proto schema`);
    components[id] = schema;
  }
  return components;
}

/** What POST /v1/batches answers (202). */
const batchSubmittedSchema = z.object({ batchId: z.string(), total: z.int().min(1), deduplicated: z.boolean() });

/** What one operation takes and answers; paths, summaries and tags come from the controllers. */
interface OperationDoc {
  /** Request body content by media type. */
  request?: Record<string, { schema: JsonSchema }>;
  /** Parameters beyond the path parameters the controllers declare. */
  parameters?: JsonSchema[];
  responses: Record<string, JsonSchema>;
}

/** The error statuses the router answers, with the codes each carries (from the one error mapping). */
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503 | 504;

const ERROR_MEANINGS: Record<ErrorStatus, string> = {
  400: 'The request is invalid: malformed or non-UTF-8 body, a Content-Type other than JSON (or JSONL for batch uploads), an unknown field, a value out of range, text too long.',
  401: 'Once API keys exist: no `Authorization: Bearer <key>`, or a key that is malformed, unknown, revoked or expired (the message says which).',
  403: 'The API key lacks the scope the route needs (solve, batch or admin; the message names it).',
  404: 'Not found.',
  409: 'The idempotency key was already used (by this caller) for a different batch: a new key for a new batch.',
  413: 'The body is larger than ROUTER_MAX_BODY_BYTES (or the batch has too many problems).',
  422: 'The router declined the problem (route policy); `details` carries the route decision and its scores.',
  429: "Over one of the caller's limits (requests per minute, concurrent requests, generated tokens per minute, batch problems in flight; per API key, else per address), or the worker queue is full: retry after the Retry-After header's seconds.",
  500: 'An unexpected failure; the cause is logged, not returned.',
  503: 'No serving worker replica for the domain, the model is not ready, or Redis is unreachable: retry later.',
  504: 'The deadline passed before the worker finished.',
};

function errors(body: 'ErrorBody' | 'OpenAiErrorBody', statuses: readonly ErrorStatus[]): Record<string, JsonSchema> {
  const codesOf = (status: ErrorStatus) => Object.values(ErrorCode).filter((code) => httpStatusOf(new AppError(code, '')) === status);
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: `${ERROR_MEANINGS[status]} Codes: ${codesOf(status).join(', ')}.`, content: json(body) },
    ]),
  );
}

const SOLVE_EVENTS =
  'Server-sent events, each `event: <name>` and `data: <JSON>`: `route` (a RouteDecision), then `delta` events (TokenDelta: text of the reasoning or the answer channel), ' +
  'then `result` (the Result); a failure after the stream began is an `error` event (an ErrorDetail) and the end of the stream.';

const CHAT_EVENTS =
  "Server-sent events in OpenAI's style: `data: <ChatCompletionChunk>` lines, then `data: [DONE]`. " +
  'A failure after the stream began is a `data: <OpenAiErrorBody>` line and the end of the stream (no [DONE]).';

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The batch id POST /v1/batches answered.',
  schema: { type: 'string' },
};

/** Every operation, keyed `<method> <path>` as the OpenAPI document names them. */
const OPERATIONS = {
  'post /v1/solve': {
    request: json('SolveRequest'),
    responses: {
      '200': {
        description: 'The result (the route included), or an event stream.',
        content: { ...json('SolveResponse'), 'text/event-stream': { schema: { type: 'string', description: SOLVE_EVENTS } } },
      },
      ...errors('ErrorBody', [400, 401, 403, 413, 422, 429, 500, 503, 504]),
    },
  },
  'post /v1/classify': {
    request: json('ClassifyRequest'),
    responses: {
      '200': { description: 'The route decision.', content: json('ClassifyResponse') },
      ...errors('ErrorBody', [400, 401, 403, 413, 422, 500, 503]),
    },
  },
  'post /v1/chat/completions': {
    request: json('ChatCompletionRequest'),
    responses: {
      '200': {
        description: 'The completion, or (`stream: true`) an event stream of chunks. The route is also in the x-slm-route-* headers.',
        content: { ...json('ChatCompletion'), 'text/event-stream': { schema: { type: 'string', description: CHAT_EVENTS } } },
      },
      ...errors('OpenAiErrorBody', [400, 401, 403, 404, 413, 422, 429, 500, 503, 504]),
    },
  },
  'get /v1/models': {
    responses: {
      '200': { description: 'The models a request may name.', content: json('ModelList') },
      ...errors('OpenAiErrorBody', [401, 403, 500]),
    },
  },
  'post /v1/batches': {
    request: {
      ...json('BatchRequest'),
      'application/jsonl': {
        schema: { type: 'string', description: 'One BatchProblem JSON object per line; Idempotency-Key and X-Priority headers.' },
      },
    },
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Same as `idempotencyKey` (the body wins).',
        schema: jsonSchemaBody(batchRequestSchema.shape.idempotencyKey),
      },
      {
        name: 'X-Priority',
        in: 'header',
        required: false,
        description: 'Same as `priority` (the body wins).',
        schema: { type: 'integer', minimum: 0, maximum: 2_097_151 },
      },
    ],
    responses: {
      '202': { description: 'Queued.', content: json('BatchSubmitted') },
      ...errors('ErrorBody', [400, 401, 403, 409, 413, 429, 500, 503]),
    },
  },
  'get /v1/batches/{id}': {
    parameters: [idParameter],
    responses: {
      '200': { description: 'The batch state and progress.', content: json('BatchStatusResponse') },
      ...errors('ErrorBody', [401, 403, 404, 500, 503]),
    },
  },
  'get /v1/batches/{id}/results': {
    parameters: [
      idParameter,
      {
        name: 'offset',
        in: 'query',
        required: false,
        description: 'The input index to start from.',
        schema: jsonSchemaBody(offsetQuerySchema.shape.offset),
      },
    ],
    responses: {
      '200': {
        description:
          'Finished items in input order, one BatchItem JSON per line, up to the first unfinished problem; x-slm-batch-state and x-slm-batch-total headers.',
        content: { 'application/jsonl': { schema: { type: 'string', description: 'One BatchItem JSON object per line.' } } },
      },
      ...errors('ErrorBody', [400, 401, 403, 404, 500, 503]),
    },
  },
  'delete /v1/batches/{id}': {
    parameters: [idParameter],
    responses: {
      '200': { description: 'The batch state after cancelling.', content: json('BatchStatusResponse') },
      ...errors('ErrorBody', [401, 403, 404, 500, 503]),
    },
  },
  'get /healthz': { responses: { '200': { description: 'The process answers.', content: json('Health') } } },
  'get /readyz': {
    parameters: [
      {
        name: 'verbose',
        in: 'query',
        required: false,
        description: "true: also each replica's address, capacity and in-flight calls, where ROUTER_READYZ_DETAILS=true (else ignored).",
        schema: { type: 'string', enum: ['true', 'false'] },
      },
    ],
    responses: {
      '200': { description: 'Every domain has a serving worker replica and Redis answers.', content: json('Readiness') },
      '503': { description: 'Not ready: the body says which part is not.', content: json('Readiness') },
      ...errors('ErrorBody', [401, 403]),
    },
  },
  'get /v1/dashboard/state': {
    responses: {
      '200': {
        description:
          'The dashboard state: routes and classification outcomes by domain, confidence histogram, latency percentiles, queue depths, batches, worker replicas.',
        content: {
          'application/json': {
            schema: { type: 'object', description: 'DashboardState (apps/router/src/dashboard/dashboard.service.ts).' },
          },
        },
      },
      ...errors('ErrorBody', [401, 403, 500]),
    },
  },
  'get /metrics': {
    responses: {
      '200': { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...errors('ErrorBody', [401, 403, 500]),
    },
  },
} satisfies Record<string, OperationDoc>;

/** A zod schema's JSON Schema without its `$schema` (a parameter's schema is a fragment). */
function jsonSchemaBody(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = jsonSchemaOf(schema);
  return rest;
}
