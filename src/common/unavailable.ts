// Tells "a dependency is down" (Postgres restarting, Redis unreachable) from a bug: such a request is answered 503
// SERVICE_UNAVAILABLE, which a client may retry, instead of 500.
import { QueryFailedError } from 'typeorm';

/** Socket-level failures of a connection to a dependency. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);
/** Postgres: the server is shutting down or starting (57P01..57P03), or the connection failed (class 08). */
const POSTGRES_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[1-3])$/;
const MESSAGES = [
  /^Connection terminated/, // pg: the server closed the connection
  /^timeout exceeded when trying to connect$/, // pg pool
  /^Connection is closed\.?$/, // ioredis: the connection ended
  /^Stream isn't writeable/, // ioredis without an offline queue
  /^Command timed out$/, // ioredis: Redis did not answer within REDIS_COMMAND_TIMEOUT_MS (stalled)
];

export function isDependencyUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // ioredis gave up on a command while Redis was unreachable.
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const cause = (error instanceof QueryFailedError ? error.driverError : error) as {
    code?: unknown;
    message?: unknown;
  };
  if (typeof cause.code === 'string' && (NETWORK_CODES.has(cause.code) || POSTGRES_UNAVAILABLE.test(cause.code))) {
    return true;
  }
  const message = typeof cause.message === 'string' ? cause.message : error.message;
  return MESSAGES.some((pattern) => pattern.test(message));
}
