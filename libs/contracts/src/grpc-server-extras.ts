import type * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

/**
 * Adds the standard `grpc.health.v1.Health` service and server reflection to a grpc-js server.
 * Every named service starts in `initialStatus`; the overall status ('') follows the same value.
 * Returns the health implementation so the caller can flip statuses (e.g. once a model is warm).
 */
export function addHealthAndReflection(
  server: grpc.Server,
  definition: PackageDefinition,
  services: readonly string[],
  initialStatus: ServingStatus = 'SERVING',
): HealthImplementation {
  const statuses: Record<string, ServingStatus> = { '': initialStatus };
  for (const service of services) statuses[service] = initialStatus;
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  new ReflectionService(definition).addToServer(server);
  return health;
}

/** Sets the same serving status on the overall server and on each named service. */
export function setServingStatus(health: HealthImplementation, services: readonly string[], status: ServingStatus): void {
  health.setStatus('', status);
  for (const service of services) health.setStatus(service, status);
}
