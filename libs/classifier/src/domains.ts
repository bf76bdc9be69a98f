import type { Domain__Output } from '@slm/contracts';

/** The classes the router's classifier tells apart, in the fixed order of the model's outputs. */
export const DOMAINS = ['math', 'code', 'science', 'other'] as const;
export type ClassifierDomain = (typeof DOMAINS)[number];

/** Number of classes (the width of every weight row). */
export const CLASS_COUNT = DOMAINS.length;

const PROTO_DOMAIN: Record<ClassifierDomain, Domain__Output> = {
  math: 'DOMAIN_MATH',
  code: 'DOMAIN_CODE',
  science: 'DOMAIN_SCIENCE',
  other: 'DOMAIN_OTHER',
};

/** The wire (proto enum) name of a classifier domain, e.g. `math` → `DOMAIN_MATH`. */
export function protoDomainOf(domain: ClassifierDomain): Domain__Output {
  return PROTO_DOMAIN[domain];
}

/** The classifier domain of a proto enum name, or undefined for DOMAIN_UNSPECIFIED. */
export function classifierDomainOf(domain: Domain__Output): ClassifierDomain | undefined {
  switch (domain) {
    case 'DOMAIN_MATH':
      return 'math';
    case 'DOMAIN_CODE':
      return 'code';
    case 'DOMAIN_SCIENCE':
      return 'science';
    case 'DOMAIN_OTHER':
      return 'other';
    case 'DOMAIN_UNSPECIFIED':
      return undefined;
    default: {
      const unreachable: never = domain;
      return unreachable;
    }
  }
}

/** True for the four class names (used to validate training labels and config). */
export function isClassifierDomain(value: unknown): value is ClassifierDomain {
  return typeof value === 'string' && (DOMAINS as readonly string[]).includes(value);
}
