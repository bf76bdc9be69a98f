import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { grpcServerCredentials, type GrpcServerTls } from './grpc-credentials';
import { loadPackageDefinition } from './proto';

/** The standard health service's fully qualified name. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

let healthDefinition: protoLoader.PackageDefinition | undefined;

/**
 * Adds the standard `grpc.health.v1.Health` service and server reflection to a grpc-js server.
 * `services` are the contract services this server implements: reflection lists exactly those and
 * Health (the definition holds the whole contract, so unfiltered it would also list services the
 * server answers with UNIMPLEMENTED). Every named service starts in `initialStatus`; the overall
 * status ('') follows the same value. Returns the health implementation so the caller can flip
 * statuses (e.g. once a model is warm). With `reflection` false only Health is added: a reflection
 * client then gets UNIMPLEMENTED. {@link createGrpcServer} does this for its services.
 */
export function addHealthAndReflection(
  server: grpc.Server,
  definition: protoLoader.PackageDefinition,
  services: readonly string[],
  initialStatus: ServingStatus = 'SERVING',
  /** Whether to serve grpc.reflection (v1 and v1alpha). Default true. */
  reflection = true,
): HealthImplementation {
  const statuses: Record<string, ServingStatus> = { '': initialStatus };
  for (const service of services) statuses[service] = initialStatus;
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  if (!reflection) return health;
  healthDefinition ??= protoLoader.loadSync(healthProtoPath);
  new ReflectionService({ ...healthDefinition, ...definition }, { services: [...services, HEALTH_SERVICE] }).addToServer(server);
  return health;
}

/** Sets the same serving status on the overall server and on each named service. */
export function setServingStatus(health: HealthImplementation, services: readonly string[], status: ServingStatus): void {
  health.setStatus('', status);
  for (const service of services) health.setStatus(service, status);
}

/** One contract service a server implements. */
export interface GrpcServiceBinding {
  /** Fully qualified name, as health and reflection know it (e.g. {@link WORKER_SERVICE}). */
  name: string;
  /** grpc-js service definition (`loadProto().slmrouter.v1.Worker.service`). */
  definition: grpc.ServiceDefinition;
  /** The handlers, typed by the generated `<Service>Handlers`. */
  handlers: grpc.UntypedServiceImplementation;
}

/** What {@link createGrpcServer} builds. */
export interface GrpcServerOptions {
  /** The contract services served; health and reflection list exactly these. */
  services: readonly GrpcServiceBinding[];
  /** Status of every service (and the overall '') until {@link ContractGrpcServer.setServing}. Default 'SERVING'. */
  health?: ServingStatus;
  /** Whether to serve grpc.reflection (v1 and v1alpha). Default true. */
  reflection?: boolean;
  /** TLS (mutual when it holds a CA). Default: plaintext. */
  tls?: GrpcServerTls;
  /** Server interceptors, outermost first. Default none. */
  interceptors?: grpc.ServerInterceptor[];
  /** The package definition reflection describes. Default: the whole contract ({@link loadPackageDefinition}). */
  packageDefinition?: protoLoader.PackageDefinition;
}

/** A grpc-js server with our services, Health and reflection; bound with {@link ContractGrpcServer.listen}. */
export interface ContractGrpcServer {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  /** Binds `host:port` (port 0: a free one) with the server's credentials; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Sets SERVING or NOT_SERVING on the overall status and on every service. */
  setServing(serving: boolean): void;
  /** Says NOT_SERVING, stops accepting calls, lets running ones finish for up to `graceMs`, then cuts them. */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * The one way router and workers serve gRPC: a grpc-js server with the contract services, the
 * standard Health service (every service and '' in `health`), reflection limited to those
 * services, the given interceptors and credentials, and a graceful shutdown.
 */
export function createGrpcServer(options: GrpcServerOptions): ContractGrpcServer {
  const server = new grpc.Server({ interceptors: options.interceptors ?? [] });
  for (const service of options.services) server.addService(service.definition, service.handlers);
  const names = options.services.map((service) => service.name);
  const health = addHealthAndReflection(
    server,
    options.packageDefinition ?? loadPackageDefinition(),
    names,
    options.health ?? 'SERVING',
    options.reflection ?? true,
  );
  const setServing = (serving: boolean) => setServingStatus(health, names, serving ? 'SERVING' : 'NOT_SERVING');
  return {
    server,
    health,
    setServing,
    listen: (host, port) =>
      new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host}:${port}`, grpcServerCredentials(options.tls), (error, bound) => (error ? reject(error) : resolve(bound))),
      ),
    shutdown: async (graceMs) => {
      setServing(false);
      let timer: NodeJS.Timeout | undefined;
      const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([graceful, cut]);
      clearTimeout(timer);
      server.forceShutdown();
    },
  };
}
