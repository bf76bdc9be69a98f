import type { FastifyInstance } from 'fastify';

/** How often a closing server closes the connections that have fallen idle, ms. */
const REAP_INTERVAL_MS = 50;

/**
 * Lets a closing server finish the requests it holds and then let their connections go. Node's
 * `server.close()` (and Fastify's 'idle' mode) ends only the keep-alive connections idle at that
 * moment: one whose request was still running stayed open after its answer for as long as the
 * client kept it (the 72 s keep-alive Fastify announces), so a router stopped under load took over
 * a minute to close, past ROUTER_SHUTDOWN_GRACE_MS. While closing, every answer says
 * `Connection: close`, and connections that fall idle (a stream's, whose headers went out before)
 * are closed as they do.
 */
export function drainOnClose(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('preClose', (done) => {
    closing = true;
    const reaper = setInterval(() => fastify.server.closeIdleConnections(), REAP_INTERVAL_MS).unref();
    fastify.server.once('close', () => clearInterval(reaper));
    done();
  });
}
