import { createHash } from 'node:crypto';
import { AppError, ErrorCode } from '@slm/platform';

/** The one tenant while the router has no API keys: every caller shares it. */
export const ANONYMOUS_TENANT = 'anonymous';

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Who a request acts for, as the edge authenticated it. */
export interface Principal {
  /** The owner of what the request stores: the API key's id, or {@link ANONYMOUS_TENANT}. */
  tenant: string;
  /** The bucket of the caller's limits: `key:<id>`, or `ip:<address>` in anonymous mode. */
  bucket: string;
}

/** The principal of each request object (HTTP request, gRPC call), set once by its edge. */
const principals = new WeakMap<object, Principal>();

/** Records the principal the edge authenticated for a request (HTTP guard, gRPC handler). */
export function bindPrincipal(request: object, principal: Principal): void {
  principals.set(request, principal);
}

/** The principal bound to a request, if its edge authenticated one. */
export function principalOf(request: unknown): Principal | undefined {
  return typeof request === 'object' && request !== null ? principals.get(request) : undefined;
}

/**
 * The tenant a request acts for: the owner of every stored thing it creates or reads (results
 * reused by requestId, in-flight sharing, idempotency keys, batches). Each edge (REST, gRPC) calls
 * this once per request: the id of the request's API key, or {@link ANONYMOUS_TENANT} while the
 * router has no keys. Never a caller-chosen header such as x-client-id: that would let any caller
 * name another's tenant.
 */
export function tenantOf(request: unknown): string {
  return principalOf(request)?.tenant ?? ANONYMOUS_TENANT;
}

/** A tenant id as stores take it: 1 to 64 characters from A-Z a-z 0-9 _ - (it is part of Redis key names). */
export function checkTenant(tenant: string): string {
  if (!TENANT_ID.test(tenant)) throw new AppError(ErrorCode.INTERNAL, `invalid tenant id ${JSON.stringify(tenant.slice(0, 70))}`);
  return tenant;
}

/**
 * JSON with object keys sorted and undefined/null members left out, so two requests that say the
 * same thing (keys in another order, an absent field sent as null) have the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 (base64url, 43 characters) of the canonical JSON of a value. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}
