import type { Domain, Domain__Output, WorkerDomain } from '@slm/contracts';
import type { ClassifierDomain as ClassifiedDomain } from '@slm/classifier';

const PROTO_OF: Record<ClassifiedDomain, Domain__Output> = {
  math: 'DOMAIN_MATH',
  code: 'DOMAIN_CODE',
  science: 'DOMAIN_SCIENCE',
  other: 'DOMAIN_OTHER',
};

/** `math` → `DOMAIN_MATH`. */
export function protoDomainOf(domain: ClassifiedDomain): Domain__Output {
  return PROTO_OF[domain];
}

/** `DOMAIN_MATH` (or its number) → `math`; undefined for unspecified. */
export function classifiedDomainOf(domain: Domain | null | undefined): ClassifiedDomain | undefined {
  switch (domain) {
    case 'DOMAIN_MATH':
    case 1:
      return 'math';
    case 'DOMAIN_CODE':
    case 2:
      return 'code';
    case 'DOMAIN_SCIENCE':
    case 3:
      return 'science';
    case 'DOMAIN_OTHER':
    case 4:
      return 'other';
    default:
      return undefined;
  }
}

/** The worker domain of a decision's domain (every decision that reaches dispatch has one). */
export function workerDomainOf(domain: Domain | null | undefined): WorkerDomain | undefined {
  const classified = classifiedDomainOf(domain);
  return classified === 'other' ? undefined : classified;
}
