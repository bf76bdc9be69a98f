import type { onRequestHookHandler } from 'fastify';
import { peerOf } from '../auth/api-key.guard';
import type { ApiKeysService } from '../auth/api-keys.service';
import { sendError } from './error-body';
import { pathOf, type HttpRequest } from './http.types';

/**
 * Authenticates API calls (`/v1/…`, `/metrics`) before their body is read (an onRequest hook), so
 * a caller without a valid key cannot make the router buffer and parse up to
 * ROUTER_MAX_BODY_BYTES. The guard (ApiKeyGuard) stays the authority: it checks the route's scope
 * and authenticates whatever this let through unauthenticated.
 */
export function authenticateEarly(keys: ApiKeysService): onRequestHookHandler {
  return (request, reply, done) => {
    const req = request as HttpRequest;
    const path = pathOf(req).toLowerCase();
    if (keys.anonymous || !(path.startsWith('/v1/') || path === '/metrics')) return done();
    keys.authenticate(req, req.headers.authorization, peerOf(req), 'header').then(
      () => done(),
      (error: unknown) => sendError(req, reply, error),
    );
  };
}
