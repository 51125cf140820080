// What a notification says in the reader's language, and where it leads: shared by the bell and the desktop
// notifications. The notices the server writes (a vote on the reader's suggestion) are worded from their data; any
// other shows the text it was sent with, and leads to the conversation, job or document its data names, if any. And
// what arrives to tell of (the desktop notifications and the chime).
import type { InboxEntry, MessagePayload, NotificationPayload, Stream } from '@realtime-hub/client';
import type { TFunction } from 'i18next';
import { useEffect, useRef } from 'react';

/** A notification's title and body in the reader's language where its type and data allow, else as sent. */
export function wordingOf(n: NotificationPayload, t: TFunction): { title: string; body: string | null } {
  const { value, voterName, suggestionTitle } = n.data as Record<string, unknown>;
  if (n.type === 'suggestion.vote' && (value === 1 || value === -1) && typeof suggestionTitle === 'string') {
    const name = typeof voterName === 'string' && voterName !== '' ? voterName : t('notifications.someone');
    return value === 1
      ? { title: t('notifications.voteUp'), body: t('notifications.votedFor', { name, title: suggestionTitle }) }
      : { title: t('notifications.voteDown'), body: t('notifications.votedAgainst', { name, title: suggestionTitle }) };
  }
  return { title: n.title, body: n.body };
}

const TARGETS: Array<[key: string, path: (id: string) => string]> = [
  ['conversationId', (id) => `/chat/${id}`],
  ['jobId', (id) => `/jobs/${id}`],
  ['resourceId', (id) => `/documents/${id}`],
];

/** The page a notification leads to, if any. */
export function targetOf(n: NotificationPayload): string | undefined {
  if (n.type === 'suggestion.vote') return '/suggestions';
  const data = n.data as Record<string, unknown>;
  for (const [key, path] of TARGETS) {
    const id = data[key];
    if (typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) return path(id);
  }
  return undefined;
}

/** A message older than this before the tab began telling (client and server clocks apart included) is no news. */
const NEWS_SKEW_MS = 60_000;

export interface Arrivals {
  /** A new notification (each once). */
  notification(notification: NotificationPayload): void;
  /** A new message from someone else, unread when it came (each once). */
  message(message: MessagePayload): void;
  /** Every state of the inbox, for what it says of read marks. */
  inbox?(entries: Map<string, InboxEntry>): void;
}

/**
 * Tells `arrivals` of what comes for the user while `enabled`, from the SDK's streams rather than the user channel's
 * events: those come live only, where the streams also catch up after a reconnect and poll while the client polls over
 * HTTP (no event comes then, and nothing was told). Notifications: each new one once (gapless), unless read already
 * (on another device, while this one was away). Messages: of the inbox's states, each conversation whose last message
 * is newer than the one told of, from someone else, still unread; what the inbox held when telling began is not news,
 * nor a message sent before then (a first state that was a live update only, the inbox's read still on its way, would
 * otherwise tell of every unread conversation).
 */
export function useArrivals(
  streams: { notices: Stream<NotificationPayload>; inbox: Stream<Map<string, InboxEntry>> },
  userId: string,
  enabled: boolean,
  arrivals: Arrivals,
): void {
  const latest = useRef(arrivals);
  useEffect(() => {
    latest.current = arrivals;
  });
  const { notices, inbox } = streams;
  useEffect(() => {
    if (!enabled) return undefined;
    const since = Date.now() - NEWS_SKEW_MS;
    let told: Map<string, number> | undefined;
    // One read meanwhile (on another device, during a cut) is no news.
    const fromNotices = notices.subscribe((notification) => {
      if (notification.readAt === null) latest.current.notification(notification);
    });
    const fromInbox = inbox.subscribe((entries) => {
      latest.current.inbox?.(entries);
      const news = told !== undefined;
      told ??= new Map();
      for (const { conversationId, lastMessage, unreadCount } of entries.values()) {
        if (!lastMessage || lastMessage.seq <= (told.get(conversationId) ?? 0)) continue;
        told.set(conversationId, lastMessage.seq);
        const fresh = Date.parse(lastMessage.createdAt) >= since;
        if (news && fresh && lastMessage.senderId !== userId && unreadCount > 0) latest.current.message(lastMessage);
      }
    });
    return () => {
      fromNotices.unsubscribe();
      fromInbox.unsubscribe();
    };
  }, [notices, inbox, userId, enabled]);
}
