import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import loaderOptions from '../loader-options.json';
import type { ProtoGrpcType as RouterProto } from './generated/router';
import type { ProtoGrpcType as WorkerProto } from './generated/worker';

/** Fully qualified gRPC service names, as health checks and reflection know them. */
export const ROUTER_SERVICE = 'slmrouter.v1.Router';
export const WORKER_SERVICE = 'slmrouter.v1.Worker';

/** The .proto files of the public contract, relative to {@link protoRoot}. */
export const PROTO_FILES = ['slmrouter/v1/router.proto', 'slmrouter/v1/worker.proto'] as const;

/**
 * Options every loader of our .proto files must use: the generated types assume them
 * (camelCase fields, int64 as strings, enums as their names, defaults filled, virtual oneof fields).
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  ...loaderOptions,
  // The JSON names the conversion; the loader wants the constructor itself.
  longs: loaderOptions.longs === 'String' ? String : Number,
  enums: String,
};

let cachedRoot: string | undefined;

/**
 * The repository's proto/ folder. Found by walking up from this file, so it works from the
 * TypeScript sources (tests) and from the compiled output in dist/ alike.
 */
export function protoRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'proto', PROTO_FILES[0]))) return (cachedRoot = path.join(dir, 'proto'));
    if (path.dirname(dir) === dir) throw new Error(`proto/${PROTO_FILES[0]} not found above ${__dirname}`);
  }
}

/** Loads the contract's package definition (for servers, reflection and NestJS's gRPC transport). */
export function loadPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...PROTO_FILES], { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
}

/** The contract as grpc-js service constructors, typed by the generated code. */
export type SlmProto = RouterProto & WorkerProto;

/** Loads the contract as grpc-js client constructors and service definitions. */
export function loadProto(definition = loadPackageDefinition()): SlmProto {
  return grpc.loadPackageDefinition(definition) as unknown as SlmProto;
}
