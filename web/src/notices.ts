// What a notification says in the reader's language, and where it leads: shared by the bell and the desktop
// notifications. The notices the server writes (a vote on the reader's suggestion) are worded from their data; any
// other shows the text it was sent with, and leads to the conversation, job or document its data names, if any. And
// which inbox updates bring a new message to tell of (the desktop notifications and the chime).
import type { InboxUpdatePayload, MessagePayload, NotificationPayload } from '@realtime-hub/client';
import type { TFunction } from 'i18next';

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

/**
 * Of the user's `inbox:update`s, those that bring a message from someone else, still unread, not told of before: each
 * once (an update that repeats it, a read mark moving, brings nothing). One filter per hook that tells of them.
 */
export function newMessageFilter(userId: string): (update: InboxUpdatePayload) => MessagePayload | undefined {
  const told = new Map<string, number>();
  return ({ conversationId, lastMessage, unreadCount }) => {
    if (!lastMessage || lastMessage.senderId === userId || unreadCount === 0) return undefined;
    if (lastMessage.seq <= (told.get(conversationId) ?? 0)) return undefined;
    told.set(conversationId, lastMessage.seq);
    return lastMessage;
  };
}
