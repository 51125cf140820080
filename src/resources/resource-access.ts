// Who may read and write a resource, as pure functions shared by REST, the channel and evictions.
import { isAccount, isOwnerOrAdmin, type Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';

export const RESOURCE_VISIBILITIES = ['public', 'private'] as const;
export type ResourceVisibility = (typeof RESOURCE_VISIBILITIES)[number];

export type Caller = Pick<Principal, 'id' | 'role'>;
export interface AccessSubject {
  ownerId: string;
  visibility: ResourceVisibility;
}

/** Public resources are read by every user; private ones by their owner and admins. */
export function canRead(caller: Caller, resource: AccessSubject): boolean {
  if (!isAccount(caller)) return false;
  return resource.visibility === 'public' || isOwnerOrAdmin(caller, resource.ownerId);
}

/** Only the owner and admins change or delete a resource, whatever its visibility. */
export function canWrite(caller: Caller, resource: AccessSubject): boolean {
  if (!isAccount(caller)) return false;
  return isOwnerOrAdmin(caller, resource.ownerId);
}

export function assertCanRead(caller: Caller, resource: AccessSubject): void {
  if (!canRead(caller, resource)) throw DomainException.forbidden('This resource is private');
}

export function assertCanWrite(caller: Caller, resource: AccessSubject): void {
  if (!canWrite(caller, resource))
    throw DomainException.forbidden('Only the owner or an admin may change this resource');
}

/** Whether a change of visibility takes reading away from someone (public → private). */
export function withdrawsReaders(before: ResourceVisibility, after: ResourceVisibility): boolean {
  return before === 'public' && after === 'private';
}

/** Who may still read after the change: the rule for the new state, for evicting subscribers. */
export function readersAfter(resource: AccessSubject): (caller: Caller) => boolean {
  return (caller) => canRead(caller, resource);
}
