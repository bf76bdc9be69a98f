/**
 * The second peer of `slm bench router`: the router's framework with none of the router's work. Nest on
 * Fastify, one `@Post('/v1/solve')` handler whose `@Body()` goes through the router's own validation
 * pipe and problem schema, and the same grpc-js call to one worker as the bare proxy; no
 * classification, limits, authentication, metrics, access log or tracing hooks. Between the bare proxy
 * (no framework) and the router, it says which part of the router's added cost is the framework the
 * issue chose and which part is the router's own features.
 *
 * Run as a child process: `node framework-floor.js <workerAddress>`; it prints `{"httpPort":…}` once
 * it listens on 127.0.0.1.
 */
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import { Body, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadProto, type GenerateResponse__Output, type Result__Output } from '@slm/contracts';
import type { z } from 'zod';
import { ZodValidationPipe } from './http/zod-validation.pipe';
import { solveRequestSchema } from './solve/problem.schemas';

const WORKER = Symbol('worker');
type WorkerClient = InstanceType<ReturnType<typeof loadProto>['slmrouter']['v1']['Worker']>;

@Controller()
class ForwardingController {
  constructor(@Inject(WORKER) private readonly worker: WorkerClient) {}

  @Post('/v1/solve')
  @HttpCode(200)
  solve(
    @Body(new ZodValidationPipe(solveRequestSchema)) { stream: _stream, ...problem }: z.output<typeof solveRequestSchema>,
  ): Promise<{ result: Result__Output | null | undefined }> {
    return new Promise((resolve, reject) =>
      this.worker.generate(
        { problem },
        { deadline: Date.now() + 30_000 },
        (error: grpc.ServiceError | null, reply?: GenerateResponse__Output) => (error ? reject(error) : resolve({ result: reply?.result })),
      ),
    );
  }
}

async function main(workerAddress: string): Promise<void> {
  const proto = loadProto();
  const worker = new proto.slmrouter.v1.Worker(workerAddress, grpc.credentials.createInsecure());
  @Module({ controllers: [ForwardingController], providers: [{ provide: WORKER, useValue: worker }] })
  class FrameworkFloorModule {}
  const app = await NestFactory.create<NestFastifyApplication>(FrameworkFloorModule, new FastifyAdapter(), { logger: ['error'] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  process.stdout.write(`${JSON.stringify({ httpPort: port })}\n`);
  process.on('SIGTERM', () => {
    worker.close();
    void app.close();
  });
}

void main(process.argv[2] ?? '');
