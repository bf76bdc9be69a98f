import { ANONYMOUS_TENANT, bindPrincipal, canonicalJson, checkTenant, fingerprintOf, tenantOf } from './tenants';

describe('tenants', () => {
  it('a request is the anonymous tenant until its edge binds a principal, whatever it sends', () => {
    expect(tenantOf({ headers: { 'x-client-id': 'someone-else' } })).toBe(ANONYMOUS_TENANT);
    const request = { headers: { 'x-client-id': 'someone-else' } };
    bindPrincipal(request, { tenant: '0123456789abcdef', bucket: 'key:0123456789abcdef' });
    expect(tenantOf(request)).toBe('0123456789abcdef');
  });

  it('refuses a tenant id that would change the shape of a Redis key', () => {
    expect(checkTenant('tenant-a')).toBe('tenant-a');
    for (const bad of ['', 'a:b', 'a}b', 'x'.repeat(65)]) expect(() => checkTenant(bad)).toThrow('invalid tenant id');
  });

  it('fingerprints what a request says, not how it spells it', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null }, e: undefined })).toBe('{"a":{"d":[1,"x"]},"b":1}');
    expect(fingerprintOf({ text: 'q', metadata: { a: '1', b: '2' } })).toBe(
      fingerprintOf({ metadata: { b: '2', a: '1' }, text: 'q', requestId: undefined }),
    );
    expect(fingerprintOf({ text: 'q', metadata: { a: '1' } })).not.toBe(fingerprintOf({ text: 'q', metadata: { a: '2' } }));
    expect(fingerprintOf({ text: 'q' })).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
