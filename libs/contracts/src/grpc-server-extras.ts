import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';

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
 * client then gets UNIMPLEMENTED.
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
