// Server-owned rooms: every socket of a principal joins one at the handshake and no client event can leave it (the
// channel registry refuses the prefix), so revocation, logout, role changes and removals reach every socket of an
// account, workstation or worker on every instance, whatever the client unsubscribed.
import type { Role } from '../auth/user.entity.js';

export const PRINCIPAL_ROOM_PREFIX = 'principal:';

/** The server-owned room of an account's sockets (users and admins alike: a role change keeps the room). */
export const accountRoom = (userId: string): string => `${PRINCIPAL_ROOM_PREFIX}user:${userId}`;

/** The server-owned room of a subject's sockets: the account, the workstation (kiosk) or the job (worker). */
export function principalRoom(role: Role, id: string): string {
  switch (role) {
    case 'kiosk':
      return `${PRINCIPAL_ROOM_PREFIX}workstation:${id}`;
    case 'worker':
      return `${PRINCIPAL_ROOM_PREFIX}job:${id}`;
    default:
      return accountRoom(id);
  }
}

export function isServerOwnedRoom(name: string): boolean {
  return name.toLowerCase().startsWith(PRINCIPAL_ROOM_PREFIX);
}
