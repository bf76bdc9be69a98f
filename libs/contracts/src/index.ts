export * from './generated';
export type { ProtoGrpcType as RouterProtoGrpcType } from './generated/router';
export type { ProtoGrpcType as WorkerProtoGrpcType } from './generated/worker';
export { PROTO_FILES, PROTO_LOADER_OPTIONS, ROUTER_SERVICE, WORKER_SERVICE, loadPackageDefinition, loadProto, protoRoot } from './proto';
export type { SlmProto } from './proto';
export {
  HEALTH_SERVICE,
  addHealthAndReflection,
  createGrpcServer,
  setServingStatus,
  type ContractGrpcServer,
  type GrpcServerOptions,
  type GrpcServiceBinding,
} from './grpc-server';
export {
  REQUEST_ID_METADATA_KEY,
  callOptions,
  createHealthClient,
  deadlineOf,
  requestIdMetadataOf,
  workerChannelOptions,
  type HealthAnswer,
  type HealthClient,
  type OutgoingCall,
} from './grpc-client';
export {
  DOMAIN_NAMES,
  DOMAIN_REGISTRY,
  QUEUE_OF_DOMAIN,
  WORKER_DOMAINS,
  addressesVariableOf,
  defaultGrpcPortOf,
  defineDomainRegistry,
  domainNameOf,
  envPrefixOf,
  isDomainName,
  isWorkerDomain,
  listWorkerDomains,
  mapWorkerDomains,
  protoDomainOf,
  queueOf,
  thresholdVariableOf,
  workerDomainOf,
} from './domains';
export type { DomainName, DomainNameOf, DomainRegistry, QueueName, WorkerDomain, WorkerDomainEntry } from './domains';
export { JobName, batchCancelChannel, batchJobId } from './queues';
export type { JobDataOf, JobResultOf, JobTypes, SolveJobData } from './queues';
export { GENERATION_LIMITS, generationOptionFields, generationOptionsSchema, setGenerationOptions } from './generation-options.schema';
export type { GenerationOptionsInput } from './generation-options.schema';
export {
  describeTransport,
  grpcChannelCredentials,
  grpcServerCredentials,
  type GrpcClientTls,
  type GrpcServerTls,
} from './grpc-credentials';
