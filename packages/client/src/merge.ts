// Order-independent merges for state that arrives as versions or growing seqs: applying the same events in any
// order, each any number of times, ends in the same state, and a state never goes backwards.
import type { InboxUpdatePayload, MessagePayload, MessageReadPayload, PresencePayload } from '@realtime-hub/protocol';

/** The newer of two versioned values (`version` grows by one per change); the current one on a tie or when older. */
export function newerVersion<T extends { version: number }>(current: T | undefined, incoming: T): T {
  return current === undefined || incoming.version > current.version ? incoming : current;
}

/**
 * A user's presence: the one announcing the later change. `lastSeenAt` is when the server counted the change it
 * announces (stamped with its transition), so a subscription's snapshot read before a change, answered after the
 * change's event, or an event delayed behind a later one, does not undo it. The incoming one on a tie.
 */
export function newerPresence(current: PresencePayload | undefined, incoming: PresencePayload): PresencePayload {
  // ISO times of the same form compare as strings; never seen (null) is before any.
  return !current || (incoming.lastSeenAt ?? '') >= (current.lastSeenAt ?? '') ? incoming : current;
}

/** One conversation's line in the inbox. */
export interface InboxEntry {
  conversationId: string;
  lastMessage: MessagePayload | null;
  lastMessageSeq: number;
  lastReadSeq: number;
  unreadCount: number;
}

/**
 * Keeps the highest `lastMessageSeq` (with its message) and the highest `lastReadSeq`; unread is their difference.
 * An update from a server that does not send the seqs yet is taken as it comes.
 */
export function mergeInbox(current: InboxEntry | undefined, update: InboxUpdatePayload): InboxEntry {
  const incomingMessageSeq = update.lastMessageSeq ?? update.lastMessage?.seq ?? 0;
  if (update.lastReadSeq === undefined) {
    return {
      conversationId: update.conversationId,
      lastMessage: update.lastMessage,
      lastMessageSeq: incomingMessageSeq,
      lastReadSeq: incomingMessageSeq - update.unreadCount,
      unreadCount: update.unreadCount,
    };
  }
  const newerMessage = current === undefined || incomingMessageSeq > current.lastMessageSeq;
  const lastMessageSeq = newerMessage ? incomingMessageSeq : current.lastMessageSeq;
  const lastReadSeq = Math.max(current?.lastReadSeq ?? 0, update.lastReadSeq);
  return {
    conversationId: update.conversationId,
    lastMessage: newerMessage ? update.lastMessage : current.lastMessage,
    lastMessageSeq,
    lastReadSeq,
    unreadCount: Math.max(0, lastMessageSeq - lastReadSeq),
  };
}

/** Read receipts: per (conversation, user) the highest seq. Answers whether `receipts` changed. */
export function mergeReadReceipt(receipts: Map<string, number>, receipt: MessageReadPayload): boolean {
  const key = `${receipt.conversationId}:${receipt.userId}`;
  const current = receipts.get(key);
  if (current !== undefined && current >= receipt.seq) return false;
  receipts.set(key, receipt.seq);
  return true;
}

/** `notifications:unread`: the count of the highest version seen (a payload without a version always applies). */
export function mergeUnread(
  current: { count: number; version?: number } | undefined,
  incoming: { count: number; version?: number },
): { count: number; version?: number } {
  if (current?.version === undefined || incoming.version === undefined) return incoming;
  return incoming.version > current.version ? incoming : current;
}
