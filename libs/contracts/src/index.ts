export * from './generated';
export type { ProtoGrpcType as RouterProtoGrpcType } from './generated/router';
export type { ProtoGrpcType as WorkerProtoGrpcType } from './generated/worker';
export { PROTO_FILES, PROTO_LOADER_OPTIONS, ROUTER_SERVICE, WORKER_SERVICE, loadPackageDefinition, loadProto, protoRoot } from './proto';
export type { SlmProto } from './proto';
export { HEALTH_SERVICE, addHealthAndReflection, setServingStatus } from './grpc-server-extras';
export { JobName, QUEUE_OF_DOMAIN, QueueName, WorkerDomain, batchCancelChannel, batchJobId } from './queues';
export type { JobDataOf, JobResultOf, JobTypes, SolveJobData } from './queues';
