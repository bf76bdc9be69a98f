import { Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCode, echoInput } from '@slm/platform';
import { ROUTER_CONFIG, type RouterConfig } from '../config/router.config';

/**
 * Bounds the synchronous requests one client has in flight (ROUTER_MAX_CONCURRENT_PER_CLIENT).
 * A client is its `x-client-id` header, else its address. In memory: a limit per router replica.
 */
@Injectable()
export class ClientConcurrencyService {
  private readonly inFlight = new Map<string, number>();

  constructor(@Inject(ROUTER_CONFIG) private readonly config: RouterConfig) {}

  /** Takes a slot for the client, or throws RATE_LIMITED; call the returned function once when done. */
  acquire(client: string): () => void {
    const count = this.inFlight.get(client) ?? 0;
    const limit = this.config.limits.maxConcurrentPerClient;
    if (count >= limit) throw new AppError(ErrorCode.RATE_LIMITED, `client ${echoInput(client)} already has ${count} requests in flight (limit ${limit}, ROUTER_MAX_CONCURRENT_PER_CLIENT)`);
    this.inFlight.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(client) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(client);
      else this.inFlight.set(client, left);
    };
  }
}
