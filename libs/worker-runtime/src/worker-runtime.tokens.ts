/** Injection tokens of the worker runtime's module. */
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
export const DOMAIN_POLICY = Symbol('DOMAIN_POLICY');
export const ENGINE_FACTORY = Symbol('ENGINE_FACTORY');
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
