import { peerOf } from '../auth/api-key.guard';
import type { ApiKeysService } from '../auth/api-keys.service';
import { sendError } from './body-reader.middleware';
import type { HttpRequest, HttpResponse, NextFunction } from './http.types';

/**
 * Authenticates API calls (`/v1/…`, `/metrics`) before their body is read, so a caller without a
 * valid key cannot make the router buffer and parse up to ROUTER_MAX_BODY_BYTES. The guard
 * (ApiKeyGuard) stays the authority: it checks the route's scope and authenticates whatever this
 * let through unauthenticated.
 */
export function authenticateEarly(keys: ApiKeysService): (req: HttpRequest, res: HttpResponse, next: NextFunction) => void {
  return (req, res, next) => {
    const path = (req.path ?? '').toLowerCase();
    if (keys.anonymous || !(path.startsWith('/v1/') || path === '/metrics')) return next();
    keys.authenticate(req, req.headers.authorization, peerOf(req), 'header').then(
      () => next(),
      (error: unknown) => sendError(req, res, error),
    );
  };
}
