import { DOMAIN_NAMES, type DomainName } from '@slm/contracts';

/**
 * The classes the router's classifier tells apart, in the fixed order of the model's outputs: the
 * domains of the registry in @slm/contracts (the worker domains, then `other`).
 */
export const DOMAINS = DOMAIN_NAMES;
export type ClassifierDomain = DomainName;

/** Number of classes (the width of every weight row). */
export const CLASS_COUNT = DOMAINS.length;
