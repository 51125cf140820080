// Telling every instance that a subject's older tokens stopped working, once the change that revoked them committed.
import type { Logger } from '@nestjs/common';

/** What a revocation announces to: the cache of a token role's subjects (AccountStateCache, WorkstationAccessCache...). */
export interface RevokedSubjects {
  invalidate(id: string): Promise<void>;
}

/** What closes the subject's sockets on every instance (AccountSockets, or a principal room's disconnect). */
export interface RevokedSockets {
  disconnect(id: string): void;
}

/**
 * After a revocation of a subject's tokens has committed (logout, an admin's change of an account, a workstation's
 * token rotation): drops the subject's cached state on every instance, then closes its sockets. The revocation stands
 * whatever happens here, so nothing here fails the request that made it: when the announcement cannot reach the other
 * instances (this one lost Redis, or Redis did not answer within the bus's timeout: cluster-bus.ts), that is logged,
 * and they stop accepting the old tokens once their cached copy passes its age limit (MAX_AGE_MS: 60 s in
 * account-state.cache.ts and workstation-access.cache.ts). This instance's own copy is dropped before Redis is asked
 * (cluster-bus.ts).
 */
export async function announceRevocation(
  subjects: RevokedSubjects,
  sockets: RevokedSockets,
  id: string,
  logger: Logger,
  /** The log field that names the subject. */
  idField = 'userId',
): Promise<void> {
  try {
    await subjects.invalidate(id);
  } catch (err) {
    logger.warn(
      { err: (err as Error)?.message ?? err, [idField]: id },
      'Could not announce a revocation to the other instances: they refuse its tokens within their cache age limit',
    );
  }
  sockets.disconnect(id);
}
