import { Domain } from './generated/slmrouter/v1/Domain';
import { loadPackageDefinition } from './proto';
import {
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
  protoDomainOf,
  queueOf,
  thresholdVariableOf,
  workerDomainOf,
} from './domains';

/** The registry's entries, written as a new domain's author would: the existing three and a fourth. */
const WITH_LEGAL = {
  DOMAIN_MATH: { defaultGrpcPort: 50061 },
  DOMAIN_CODE: { defaultGrpcPort: 50062 },
  DOMAIN_SCIENCE: { defaultGrpcPort: 50063 },
  DOMAIN_LEGAL: { defaultGrpcPort: 50064 },
};

describe('the domain registry', () => {
  it('numbers the domains as the .proto file does', () => {
    const enumType = loadPackageDefinition()['slmrouter.v1.Domain'] as { type: { value: { name: string; number: number }[] } };
    const wire = Object.fromEntries(enumType.type.value.map((v) => [v.name, v.number]));
    expect(Object.keys(wire)).toEqual(Object.keys(Domain));
    for (const name of DOMAIN_NAMES) expect(DOMAIN_REGISTRY.protoNumberOf(name)).toBe(wire[protoDomainOf(name)]);
  });

  it('has the three worker domains and, for the classifier, other', () => {
    expect(WORKER_DOMAINS).toEqual(['math', 'code', 'science']);
    expect(DOMAIN_NAMES).toEqual(['math', 'code', 'science', 'other']);
    expect(listWorkerDomains()).toBe('math, code or science');
    expect(isWorkerDomain('code')).toBe(true);
    expect(isWorkerDomain('other')).toBe(false);
    expect(isDomainName('other')).toBe(true);
    expect(isDomainName('DOMAIN_MATH')).toBe(false);
  });

  it('converts between the proto enum (by name or number) and the lower-case name, both ways', () => {
    expect(domainNameOf('DOMAIN_MATH')).toBe('math');
    expect(domainNameOf(2)).toBe('code');
    expect(domainNameOf('DOMAIN_OTHER')).toBe('other');
    expect(domainNameOf(4)).toBe('other');
    for (const unspecified of ['DOMAIN_UNSPECIFIED', 0, null, undefined, 9] as const) expect(domainNameOf(unspecified)).toBeUndefined();
    expect(workerDomainOf('DOMAIN_SCIENCE')).toBe('science');
    expect(workerDomainOf(3)).toBe('science');
    expect(workerDomainOf('DOMAIN_OTHER')).toBeUndefined();
    for (const name of DOMAIN_NAMES) expect(domainNameOf(protoDomainOf(name))).toBe(name);
    expect(protoDomainOf('other')).toBe('DOMAIN_OTHER');
  });

  it('derives every per-domain name and default from the domain', () => {
    expect(QUEUE_OF_DOMAIN).toEqual({ math: 'solve-math', code: 'solve-code', science: 'solve-science' });
    expect(queueOf('science')).toBe('solve-science');
    expect(WORKER_DOMAINS.map(defaultGrpcPortOf)).toEqual([50061, 50062, 50063]);
    expect(envPrefixOf('math')).toBe('MATH_WORKER_');
    expect(addressesVariableOf('code')).toBe('CODE_WORKER_ADDRESSES');
    expect(thresholdVariableOf('science')).toBe('ROUTER_THRESHOLD_SCIENCE');
    expect(DOMAIN_REGISTRY.mapWorkerDomains((d) => d.length)).toEqual({ math: 4, code: 4, science: 7 });
  });

  it('takes a fourth domain from one enum value and one entry', () => {
    const legal = defineDomainRegistry({ ...Domain, DOMAIN_LEGAL: 'DOMAIN_LEGAL' }, WITH_LEGAL);
    expect(legal.workerDomains).toEqual(['math', 'code', 'science', 'legal']);
    // The classifier's classes: the worker domains, then other (the model is retrained for a new class).
    expect(legal.domainNames).toEqual(['math', 'code', 'science', 'legal', 'other']);
    expect(legal.domainNameOf('DOMAIN_LEGAL')).toBe('legal');
    expect(legal.domainNameOf(5)).toBe('legal');
    expect(legal.workerDomainOf('DOMAIN_LEGAL')).toBe('legal');
    expect(legal.protoDomainOf('legal')).toBe('DOMAIN_LEGAL');
    expect(legal.protoNumberOf('legal')).toBe(5);
    expect(legal.queueOf('legal')).toBe('solve-legal');
    expect(legal.defaultGrpcPortOf('legal')).toBe(50064);
    expect(legal.envPrefixOf('legal')).toBe('LEGAL_WORKER_');
    expect(legal.addressesVariableOf('legal')).toBe('LEGAL_WORKER_ADDRESSES');
    expect(legal.thresholdVariableOf('legal')).toBe('ROUTER_THRESHOLD_LEGAL');
    expect(legal.mapWorkerDomains(legal.queueOf)).toEqual({
      math: 'solve-math',
      code: 'solve-code',
      science: 'solve-science',
      legal: 'solve-legal',
    });
    expect(legal.listWorkerDomains()).toBe('math, code, science or legal');
    // The existing domains keep their names and numbers.
    for (const name of DOMAIN_NAMES)
      expect([legal.protoDomainOf(name), legal.protoNumberOf(name)]).toEqual([protoDomainOf(name), DOMAIN_REGISTRY.protoNumberOf(name)]);
  });

  it('refuses two worker domains on one default port', () => {
    expect(() =>
      defineDomainRegistry({ ...Domain, DOMAIN_LEGAL: 'DOMAIN_LEGAL' }, { ...WITH_LEGAL, DOMAIN_LEGAL: { defaultGrpcPort: 50061 } }),
    ).toThrow(/share a default gRPC port/);
  });
});
