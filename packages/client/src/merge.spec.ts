import type { InboxUpdatePayload, MessagePayload, PresencePayload } from '@realtime-hub/protocol';
import { type InboxEntry, mergeInbox, mergeReadReceipt, mergeUnread, newerPresence, newerVersion } from './merge.js';

const message = (seq: number): MessagePayload => ({
  id: `m${seq}`,
  conversationId: 'c',
  seq,
  senderId: 'u',
  body: `body ${seq}`,
  clientId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
});

const update = (lastMessageSeq: number, lastReadSeq: number): InboxUpdatePayload => ({
  conversationId: 'c',
  lastMessage: message(lastMessageSeq),
  unreadCount: lastMessageSeq - lastReadSeq,
  lastMessageSeq,
  lastReadSeq,
});

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe(mergeInbox.name, () => {
  it('should end in the same entry whatever order the updates arrive in', () => {
    const updates = [update(1, 0), update(2, 0), update(2, 2), update(3, 2)];
    const results = permutations(updates).map((order) =>
      order.reduce<InboxEntry | undefined>((entry, u) => mergeInbox(entry, u), undefined),
    );
    for (const result of results) {
      expect(result).toEqual({
        conversationId: 'c',
        lastMessage: message(3),
        lastMessageSeq: 3,
        lastReadSeq: 2,
        unreadCount: 1,
      });
    }
  });

  it('should never show a negative unread count', () => {
    expect(mergeInbox(mergeInbox(undefined, update(5, 5)), update(4, 4)).unreadCount).toBe(0);
  });
});

describe(mergeUnread.name, () => {
  it('should keep the highest version and ignore an older one', () => {
    const newest = mergeUnread(mergeUnread(undefined, { count: 3, version: 7 }), { count: 5, version: 6 });
    expect(newest).toEqual({ count: 3, version: 7 });
  });
});

describe(mergeReadReceipt.name, () => {
  it('should keep the highest seq per conversation and user', () => {
    const receipts = new Map<string, number>();
    expect(mergeReadReceipt(receipts, { conversationId: 'c', userId: 'u', seq: 4 })).toBe(true);
    expect(mergeReadReceipt(receipts, { conversationId: 'c', userId: 'u', seq: 2 })).toBe(false);
    expect(receipts.get('c:u')).toBe(4);
  });
});

describe(newerVersion.name, () => {
  it('should never go backwards', () => {
    const v2 = { version: 2 };
    expect(newerVersion(v2, { version: 1 })).toBe(v2);
    expect(newerVersion(v2, { version: 3 })).toEqual({ version: 3 });
  });
});

describe(newerPresence.name, () => {
  const presence = (online: boolean, lastSeenAt: string | null): PresencePayload => ({
    userId: 'u',
    online,
    lastSeenAt,
  });
  const never = presence(false, null);
  const cameOnline = presence(true, '2026-01-01T10:00:00.000Z');
  const wentOffline = presence(false, '2026-01-01T10:05:00.000Z');
  const back = presence(true, '2026-01-01T10:05:00.001Z');

  it('should end in the latest change whatever order the snapshot and the events arrive in', () => {
    for (const order of permutations([never, cameOnline, wentOffline, back])) {
      expect(order.reduce<PresencePayload | undefined>(newerPresence, undefined)).toBe(back);
    }
  });

  it('should keep a change when a snapshot read before it is answered after it', () => {
    expect(newerPresence(wentOffline, cameOnline)).toBe(wentOffline);
    expect(newerPresence(cameOnline, never)).toBe(cameOnline);
  });

  it('should take the incoming one on a tie (the same change again)', () => {
    const again = { ...wentOffline };
    expect(newerPresence(wentOffline, again)).toBe(again);
  });
});
