import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiKeyScope } from '@slm/platform';
import type { HttpRequest } from '../http/http.types';
import { ApiKeysService, authenticatedCallerOf } from './api-keys.service';

const REQUIRED_SCOPE = 'slm:requiredScope';

/** The scope a route needs; a route without one is open (probes: /healthz, /readyz). */
export const RequireScope = (scope: ApiKeyScope) => SetMetadata(REQUIRED_SCOPE, scope);

/** The caller's address as the socket has it (never X-Forwarded-For, which a caller writes). */
export function peerOf(req: HttpRequest): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Authenticates every HTTP route that names a scope ({@link RequireScope}): `Authorization: Bearer
 * <key>` (401 UNAUTHENTICATED saying what is wrong), then the scope (403 PERMISSION_DENIED). The
 * request's principal (tenant, limit bucket) is bound for the handler.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (!scope) return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const caller = authenticatedCallerOf(req) ?? (await this.keys.authenticate(req, req.headers.authorization, peerOf(req), 'header'));
    this.keys.authorize(caller, scope);
    return true;
  }
}
