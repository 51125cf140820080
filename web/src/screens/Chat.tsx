// Chat: conversations (unread counts from the SDK's inbox stream, online dots from presence channels; the 100 most
// recent, older ones on demand, and one beyond them that a link opens or that comes alive), a
// conversation's messages (history over REST, then the SDK's gapless stream; read once on screen), typing, read
// receipts, optimistic sends confirmed by the server, or refused with the reason and retried where that can help,
// earlier messages on demand, a new group, and a group's members: add people, leave.
import {
  AckFailure,
  channels,
  type ConversationPayload,
  ErrorCodes,
  type InboxEntry,
  type MessagePayload,
  newerPresence,
  type PresencePayload,
  type RealtimeClient,
  RestError,
} from '@realtime-hub/client';
import { useChannel, useStreamItems, useStreamValue } from '@realtime-hub/client/react';
import {
  type Dispatch,
  type FormEvent,
  Fragment,
  type SetStateAction,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, errorText, type Page } from '../api';
import { useSignedIn } from '../session';
import i18n, { agoOf, dateTimeOf, dayKeyOf, dayLabelOf, hourMinuteOf, shortWhenOf } from '../i18n';
import { Announcer } from '../components/Announcer';
import { ErrorLine, useErrorLine } from '../components/ErrorLine';
import { ListState, MoreButton } from '../components/ListState';
import { appendNew, useLoad, useNextPages } from '../list';
import { useOnce } from '../once';
import { composerOf, keepComposer, type Pending, usePending } from '../unsent';
import { useInFront } from '../in-front';
import { useDayChange, useTick } from '../clock';

export function Chat() {
  // Ids as the server names them (a link may give one in capitals, which the server takes too).
  const conversationId = useParams().conversationId?.toLowerCase();
  const { client, user, unread } = useSignedIn();
  const { t } = useTranslation();
  const [conversations, setConversations] = useState<ConversationPayload[]>([]);
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const listHeading = useRef<HTMLHeadingElement>(null);
  // The list's times and the log's day headings ("Today") move on at midnight.
  useDayChange();
  const updateMembers = useCallback(
    (id: string, members: ConversationPayload['members']) =>
      setConversations((list) => list.map((c) => (c.id === id ? { ...c, members } : c))),
    [],
  );

  // The list's first page, asked until it comes and merged with what a live `conversation:added` brought meanwhile;
  // `load` says whether it is still loading or cannot come (ListState). Older pages on demand.
  const { error: listError, run } = useErrorLine();
  const pages = useNextPages(client, CONVERSATIONS_PATH, setConversations, run);
  const { restart } = pages;
  const load = useLoad(
    useCallback(() => api<Page<ConversationPayload>>(client, 'GET', CONVERSATIONS_PATH), [client]),
    useCallback(
      (page: Page<ConversationPayload>) => {
        setConversations((list) => appendNew(page.items, list));
        restart(page.nextCursor);
      },
      [restart],
    ),
  );
  useChannel(client, channels.user(user.id), {
    'conversation:added': ({ conversation }) =>
      setConversations((list) => (list.some((c) => c.id === conversation.id) ? list : [conversation, ...list])),
  });
  const inbox = useStreamValue(unread.inbox, new Map());
  const opening = useConversationsBeyondPages(client, {
    loaded: load.state === 'loaded',
    conversations,
    setConversations,
    inbox,
    lastPage: pages.more === undefined,
    openId: conversationId,
  });

  // A group's last message from someone its members as listed do not include (added while the group was not open
  // here: `conversation:members` comes to those who have it open): its members read once, rather than the message put
  // under "A former member".
  const membersAsked = useRef(new Set<string>());
  useEffect(() => {
    for (const c of conversations) {
      const sender = inbox.get(c.id)?.lastMessage?.senderId;
      if (c.kind !== 'group' || !sender || c.members.some((m) => m.userId === sender)) continue;
      const key = `${c.id} ${sender}`;
      if (membersAsked.current.has(key)) continue;
      membersAsked.current.add(key);
      api<ConversationPayload>(client, 'GET', `/api/v1/conversations/${c.id}`).then(
        (fresh) => updateMembers(c.id, fresh.members),
        // Asked again at the next change unless refused (no longer a member).
        (err: unknown) => {
          if (!(err instanceof RestError && err.status < 500)) membersAsked.current.delete(key);
        },
      );
    }
  }, [client, conversations, inbox, updateMembers]);

  const sorted = [...conversations].sort((a, b) => activityOf(b, inbox).localeCompare(activityOf(a, inbox)));
  const current = conversations.find((c) => c.id === conversationId);

  return (
    // On a phone, one pane at a time: the list, or the conversation opened (with its way back to the list).
    <div className={conversationId ? 'chat open' : 'chat'}>
      <aside className="conversations">
        <h1 tabIndex={-1} ref={listHeading}>
          {t('chat.title')}
        </h1>
        <button type="button" onClick={() => setCreating((v) => !v)} aria-expanded={creating}>
          {t('chat.newGroup')}
        </button>
        {creating && (
          <NewConversation
            client={client}
            onCreated={(conversation) => {
              setCreating(false);
              setConversations((list) => (list.some((c) => c.id === conversation.id) ? list : [conversation, ...list]));
            }}
          />
        )}
        <nav aria-label={t('chat.listLabel')}>
          <ul>
            {sorted.map((c) => (
              <ConversationItem
                key={c.id}
                client={client}
                meId={user.id}
                conversation={c}
                unread={inbox.get(c.id)?.unreadCount ?? c.unreadCount}
                lastMessage={inbox.get(c.id)?.lastMessage ?? c.lastMessage}
                active={c.id === conversationId}
              />
            ))}
          </ul>
          <MoreButton more={pages.more} label={t('chat.older')} />
          <ErrorLine error={listError} />
          <ListState load={load} empty={sorted.length === 0} none={t('chat.none')} />
        </nav>
      </aside>
      <section className="conversation" aria-label={current ? titleOf(current, user.id) : t('chat.title')}>
        {conversationId && (
          <Link className="back" to="/chat">
            ← {t('chat.title')}
          </Link>
        )}
        {current ? (
          <ConversationView
            key={current.id}
            client={client}
            meId={user.id}
            conversation={current}
            onMembers={updateMembers}
            onLeft={() => {
              setConversations((list) => list.filter((c) => c.id !== current.id));
              void navigate('/chat');
              // The focus was in the conversation, now gone: to the list's heading rather than the page.
              listHeading.current?.focus();
            }}
          />
        ) : conversationId && (load.state !== 'loaded' || opening) ? (
          // Not in the list yet: the list has not come (it may well be there), or the conversation is asked for on its
          // own (older than the list's pages), so not "Pick a conversation." yet.
          <ListState load={opening ? { state: 'loading' } : load} empty />
        ) : (
          <p>{t('chat.pick')}</p>
        )}
      </section>
    </div>
  );
}

/** The conversations' first page: the 100 most recently active. */
const CONVERSATIONS_PATH = '/api/v1/conversations?limit=100';

/** When a conversation was last active, as the list sorts them: its latest message (live, from the inbox), or birth. */
function activityOf(c: ConversationPayload, inbox: ReadonlyMap<string, InboxEntry>): string {
  return inbox.get(c.id)?.lastMessage?.createdAt ?? c.lastMessage?.createdAt ?? c.createdAt;
}

/**
 * Lists the conversations the loaded pages leave out (older than their last one) that must show all the same: the one
 * a link opens (a notification's, say), and one that comes alive (a message in it, which the inbox hears of, puts it
 * among the recent ones; so does a conversation the user was added to while offline). Each is asked for on its own,
 * once, and added to the list. Answers whether the conversation `openId` is on its way (asked for, not refused).
 */
function useConversationsBeyondPages(
  client: RealtimeClient,
  {
    loaded,
    conversations,
    setConversations,
    inbox,
    lastPage,
    openId,
  }: {
    loaded: boolean;
    conversations: ConversationPayload[];
    setConversations: Dispatch<SetStateAction<ConversationPayload[]>>;
    inbox: ReadonlyMap<string, InboxEntry>;
    /** Whether the pages loaded so far are all there is. */
    lastPage: boolean;
    openId: string | undefined;
  },
): boolean {
  /** Asked for, or refused; one whose request failed otherwise is asked again at the next change. */
  const asked = useRef(new Set<string>());
  /** Refused: not a member (any more), or no such conversation. */
  const [refused, setRefused] = useState<ReadonlySet<string>>(new Set());
  /** Added because a link opened them: they say nothing of where the pages end. */
  const byLink = useRef(new Set<string>());
  useEffect(() => {
    if (!loaded) return;
    const held = new Set(conversations.map((c) => c.id));
    // Where the pages end: a conversation active since then belongs among them. No end once the last page is in.
    let end: string | undefined;
    if (!lastPage) {
      for (const c of conversations) {
        const at = activityOf(c, inbox);
        if (!byLink.current.has(c.id) && (end === undefined || at < end)) end = at;
      }
    }
    const wanted = [...inbox]
      .filter(([, entry]) => {
        const at = entry.lastMessage?.createdAt;
        return end === undefined || (at !== undefined && at >= end);
      })
      .map(([id]) => id);
    if (openId) wanted.push(openId);
    for (const id of wanted) {
      if (held.has(id) || asked.current.has(id)) continue;
      asked.current.add(id);
      api<ConversationPayload>(client, 'GET', `/api/v1/conversations/${id}`).then(
        (conversation) => {
          if (id === openId) byLink.current.add(id);
          setConversations((list) => appendNew(list, [conversation]));
        },
        (err: unknown) => {
          if (err instanceof RestError && err.status < 500) setRefused((ids) => new Set(ids).add(id));
          else asked.current.delete(id);
        },
      );
    }
  }, [client, loaded, conversations, setConversations, inbox, lastPage, openId]);
  return loaded && openId !== undefined && !conversations.some((c) => c.id === openId) && !refused.has(openId);
}

function titleOf(conversation: ConversationPayload, meId: string): string {
  if (conversation.title) return conversation.title;
  const others = conversation.members.filter((m) => m.userId !== meId).map((m) => m.displayName);
  return others.join(', ') || conversation.members.map((m) => m.displayName).join(', ');
}

function ConversationItem(props: {
  client: RealtimeClient;
  meId: string;
  conversation: ConversationPayload;
  unread: number;
  lastMessage: MessagePayload | null;
  active: boolean;
}) {
  const { client, meId, conversation, unread, lastMessage, active } = props;
  const { t } = useTranslation();
  const other = conversation.kind === 'direct' ? conversation.members.find((m) => m.userId !== meId) : undefined;
  const online = usePresence(client, other?.userId)?.online;
  const title = titleOf(conversation, meId);
  return (
    <li>
      <Link
        to={`/chat/${conversation.id}`}
        aria-current={active ? 'page' : undefined}
        className={unread > 0 ? 'unread' : undefined}
      >
        {other && (
          <span
            className={`presence ${online ? 'online' : 'away'}`}
            role="img"
            aria-label={online ? t('chat.online') : t('chat.offline')}
          />
        )}
        <span className="summary">
          <span className="line">
            <span className="name">{title}</span>
            {lastMessage && (
              <time dateTime={lastMessage.createdAt} title={dateTimeOf(lastMessage.createdAt)}>
                {shortWhenOf(lastMessage.createdAt)}
              </time>
            )}
          </span>
          <span className="line">
            <span className="preview">{lastMessage && previewOf(lastMessage, conversation, meId, t)}</span>
            {unread > 0 && <span className="badge">{t('chat.unread', { count: unread })}</span>}
          </span>
        </span>
      </Link>
    </li>
  );
}

/**
 * A user's presence while shown: the snapshot, then each change, keeping the latest (a snapshot answered after a
 * change's event must not undo it).
 */
function usePresence(client: RealtimeClient, userId: string | undefined): PresencePayload | undefined {
  const [presence, setPresence] = useState<PresencePayload>();
  const keep = useCallback(
    (incoming: PresencePayload) =>
      setPresence((current) => (current?.userId === incoming.userId ? newerPresence(current, incoming) : incoming)),
    [],
  );
  useChannel(client, userId ? channels.presence(userId) : undefined, { snapshot: keep, presence: keep });
  return presence?.userId === userId ? presence : undefined;
}

/** The other person of a direct conversation: online, or when they were last seen (kept current while shown). */
function LastSeen({ client, userId }: { client: RealtimeClient; userId: string | undefined }) {
  const { t } = useTranslation();
  const presence = usePresence(client, userId);
  // "3 minutes ago" moves on by itself.
  useTick(30_000, presence !== undefined && !presence.online && presence.lastSeenAt !== null);
  if (!presence) return null;
  if (presence.online) return <p className="muted">{t('chat.online')}</p>;
  if (presence.lastSeenAt === null) return null;
  return (
    <p className="muted">
      <time dateTime={presence.lastSeenAt} title={dateTimeOf(presence.lastSeenAt)}>
        {t('chat.lastSeen', { when: agoOf(presence.lastSeenAt) })}
      </time>
    </p>
  );
}

/** A conversation's last message on one line: whose it is (in a group, or when it is the user's) and its text. */
function previewOf(message: MessagePayload, conversation: ConversationPayload, meId: string, t: TFunction): string {
  // One line whatever the message's line breaks; the stylesheet cuts it to the list's width.
  const body = message.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  if (message.senderId === meId) return t('chat.previewMine', { body });
  if (conversation.kind === 'direct') return body;
  const name = conversation.members.find((m) => m.userId === message.senderId)?.displayName ?? t('chat.formerMember');
  return t('chat.previewFrom', { name, body });
}

/**
 * While the user keeps typing, `typing: true` is sent again this often: the server ends someone's typing
 * TYPING_TIMEOUT_MS (5 s by default) after their last `true`, and drops a `true` within 1 s of the previous one.
 */
const TYPING_RENEW_MS = 2500;
/** Typing is over (`typing: false`) after this long without a key. */
const TYPING_IDLE_MS = 3000;
/**
 * Someone else's typing is shown this long after their last `typing: true` at most, should the server's `false` never
 * come (the instance that would have sent it gone; one lost in this client's cut is caught up on instead): the server's
 * own timeout (5 s by default) and a margin.
 */
const TYPING_SHOWN_MS = 7000;

/** Each member's read mark from a conversation read again: one never moves back. */
function withReads(reads: Map<string, number>, members: ConversationPayload['members']): Map<string, number> {
  const next = new Map(reads);
  for (const m of members) next.set(m.userId, Math.max(next.get(m.userId) ?? 0, m.lastReadSeq));
  return next;
}

/**
 * A message's `clientId`: 128 random bits, as the SDK makes its own. Not `crypto.randomUUID`, which a page has only in a
 * secure context (HTTPS, localhost): served over plain HTTP on a LAN, it threw, and no message could be sent.
 */
function newClientId(): string {
  return crypto.getRandomValues(new Uint32Array(4)).join('-');
}

/**
 * Refusals of a message that sending it again cannot change: the user is no longer a member, the conversation is gone,
 * the server does not take the text. Anything else (the server out of reach, a timeout, RATE_LIMITED, a session renewed
 * since) may pass on a retry. The SDK retries by itself the failures it knows to pass in time, so what it hands over is
 * mostly of the first kind.
 */
const FINAL_REFUSALS = new Set<string>([
  ErrorCodes.FORBIDDEN,
  ErrorCodes.NOT_FOUND,
  ErrorCodes.VALIDATION_FAILED,
  ErrorCodes.PAYLOAD_TOO_LARGE,
  ErrorCodes.LIMIT_EXCEEDED,
]);

function refusalCodeOf(error: unknown): string | undefined {
  return error instanceof AckFailure || error instanceof RestError ? error.code : undefined;
}

/** Whether "Retry" is offered for a message not sent. */
function mayRetry(error: unknown): boolean {
  const code = refusalCodeOf(error);
  return code === undefined || !FINAL_REFUSALS.has(code);
}

/** Why a message was not sent, in the user's language: the chat's own sentence for a code where it has one. */
function notSentText(error: unknown, t: TFunction): string {
  if (error === undefined) return t('chat.failed');
  const code = refusalCodeOf(error);
  if (code !== undefined && i18n.exists(`chat.notSent.${code}`)) return t(`chat.notSent.${code}`);
  return t('chat.notSentBecause', { reason: errorText(error) });
}

function ConversationView({
  client,
  meId,
  conversation,
  onMembers,
  onLeft,
}: {
  client: RealtimeClient;
  meId: string;
  conversation: ConversationPayload;
  onMembers(conversationId: string, members: ConversationPayload['members']): void;
  onLeft(): void;
}) {
  const { t } = useTranslation();
  const id = conversation.id;
  const [history, setHistory] = useState<MessagePayload[]>();
  const [hasEarlier, setHasEarlier] = useState(false);
  const [adding, setAdding] = useState(false);
  // What "Earlier messages" or "Leave the group" failed with; cleared as the next one starts (it stayed up once the
  // earlier messages had come).
  const { error, run } = useErrorLine();
  const [confirmed, setConfirmed] = useState<MessagePayload[]>([]);
  // Kept while the user is elsewhere (unsent.ts), as the composer's text is.
  const [pending, setPending] = usePending(id);
  /** Who else is typing, and until when at most (TYPING_SHOWN_MS after their last `true`). */
  const [typing, setTyping] = useState<Map<string, number>>(new Map());
  const [reads, setReads] = useState<Map<string, number>>(
    () => new Map(conversation.members.map((m) => [m.userId, m.lastReadSeq])),
  );
  const [draft, setDraft] = useState(() => composerOf(id));
  useEffect(() => keepComposer(id, draft), [id, draft]);
  /** When `typing: true` was last sent; undefined while the user is not typing. */
  const typingSentAt = useRef<number>(undefined);
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const logBox = useRef<HTMLDivElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  /** Whether the reader is at the end of the log (within 48 px): only then does a new message move it. */
  const atEnd = useRef(true);
  /** The same, as state: only then is what comes read (below a reader scrolled up, it is out of sight). */
  const [seesEnd, setSeesEnd] = useState(true);
  /** The last message when the reader scrolled up from the end: what came after it from others is new below. */
  const [leftEndAt, setLeftEndAt] = useState(0);
  /** The user's read mark, as last sent or known (see "Reading" below). */
  const readSent = useRef(conversation.members.find((m) => m.userId === meId)?.lastReadSeq ?? 0);

  // The history, with the read marks as they are now (the list's are those of when the chat was opened): what the
  // user has read since, anywhere, is not new again, and the receipts are those last given. `historyLoad` says
  // whether it is still loading or cannot come (ListState, in place of the messages).
  const historyLoad = useLoad(
    useCallback(
      () =>
        Promise.all([
          api<Page<MessagePayload>>(client, 'GET', `/api/v1/conversations/${id}/messages?limit=50`),
          api<ConversationPayload>(client, 'GET', `/api/v1/conversations/${id}`),
        ]),
      [client, id],
    ),
    useCallback(
      ([page, fresh]: [Page<MessagePayload>, ConversationPayload]) => {
        const mine = fresh.members.find((m) => m.userId === meId)?.lastReadSeq ?? 0;
        readSent.current = Math.max(readSent.current, mine);
        setReads((map) => withReads(map, fresh.members));
        onMembers(id, fresh.members);
        setHistory(page.items);
        setHasEarlier((page.items[0]?.seq ?? 1) > 1);
      },
      [id, meId, onMembers],
    ),
  );
  const loadEarlier = () =>
    run(async () => {
      const first = history?.[0]?.seq;
      if (first === undefined) return;
      const page = await api<Page<MessagePayload>>(
        client,
        'GET',
        `/api/v1/conversations/${id}/messages?beforeSeq=${first}&limit=50`,
      );
      setHistory((list) => [...page.items, ...(list ?? [])]);
      setHasEarlier((page.items[0]?.seq ?? 1) > 1);
    });
  const leave = () =>
    run(async () => {
      await api(client, 'DELETE', `/api/v1/conversations/${id}/members/me`);
      onLeft();
    });
  // Live messages after the last one of the history, gapless (the SDK fetches any it missed while offline).
  const afterSeq = history === undefined ? undefined : (history[history.length - 1]?.seq ?? 0);
  const stream = useMemo(
    () => (afterSeq === undefined ? undefined : client.conversationMessages(id, { afterSeq })),
    [client, id, afterSeq],
  );
  const live = useStreamItems(stream, 1000);
  // What came live from someone else (not the history) since the last messages came, every one of it: what came during
  // a cut, or with one of the client's polls, comes in a burst, of which only the last message was read out.
  const [heard, setHeard] = useState<{ live: MessagePayload[]; news: MessagePayload[] }>({ live, news: [] });
  /** The last refusal of a message, said to a screen reader until something comes from someone else. */
  const [notSent, setNotSent] = useState<{ id: string; text: string }>();
  if (heard.live !== live) {
    const before = heard.live[heard.live.length - 1]?.seq ?? -1;
    const news = live.filter((m) => m.seq > before && m.senderId !== meId);
    setHeard({ live, news });
    if (news.length > 0) setNotSent(undefined);
  }

  // A typing shown past its time (its `false` lost) goes.
  useEffect(() => {
    if (typing.size === 0) return undefined;
    const timer = setTimeout(
      () => setTyping((map) => new Map([...map].filter(([, until]) => until > Date.now()))),
      Math.max(0, Math.min(...typing.values()) - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [typing]);

  useChannel(client, channels.conversation(id), {
    // After a reconnect no typing is known; and then, and on every poll while the client polls, the conversation is
    // read again: who is in it and how far each has read (`message:read` and `conversation:members` sent while away do
    // not come again).
    subscribed: () => setTyping(new Map()),
    catchUp: () =>
      api<ConversationPayload>(client, 'GET', `/api/v1/conversations/${id}`).then(
        (fresh) => {
          setReads((map) => withReads(map, fresh.members));
          onMembers(id, fresh.members);
        },
        // Read while the client polls: the user left on another device meanwhile, or was removed (see `error`).
        (err: unknown) => {
          if (err instanceof RestError && (err.status === 403 || err.status === 404)) onLeft();
        },
      ),
    typing: (event) =>
      setTyping((map) => {
        const next = new Map(map);
        if (event.isTyping) next.set(event.userId, Date.now() + TYPING_SHOWN_MS);
        else next.delete(event.userId);
        return next;
      }),
    'message:read': (event) => {
      // The user's own, from another device or tab: what they read there is not new here ("New messages").
      if (event.userId === meId) readSent.current = Math.max(readSent.current, event.seq);
      setReads((map) => ((map.get(event.userId) ?? 0) >= event.seq ? map : new Map(map).set(event.userId, event.seq)));
    },
    'conversation:members': (event) => onMembers(id, event.members),
    // The user left in another tab or device, or was removed: the server took this tab out of the channel.
    unsubscribed: () => onLeft(),
    // The same, while this tab was cut off: its subscribe again after the cut is refused. It stayed open, and what was
    // written in it was refused.
    error: (error) => {
      if (error.code === ErrorCodes.FORBIDDEN || error.code === ErrorCodes.NOT_FOUND) onLeft();
    },
    'message:new': (message) =>
      setTyping((map) => {
        if (!map.has(message.senderId)) return map;
        const next = new Map(map);
        next.delete(message.senderId);
        return next;
      }),
  });

  const messages = useMemo(() => {
    const bySeq = new Map<number, MessagePayload>();
    for (const m of [...(history ?? []), ...live, ...confirmed]) bySeq.set(m.seq, m);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }, [history, live, confirmed]);
  const storedClientIds = useMemo(() => new Set(messages.map((m) => m.clientId)), [messages]);
  const shownPending = pending.filter((p) => !storedClientIds.has(p.clientId));
  const lastSeq = messages[messages.length - 1]?.seq ?? 0;

  // Reading: what is on screen while the user is in this tab is read; what arrives while they are elsewhere, or while
  // they are scrolled up the log reading older messages (it comes below, out of sight), stays unread, for them (the
  // tab's title and the list count it) and for the sender's read receipt, until they come back to the tab or to the end
  // of the log (by hand, or with "N new messages ↓"). What they catch up on (on opening the conversation, coming back
  // to the tab or to the end) starts under a "New messages" line, which stays until they send; what arrives while they
  // watch needs none.
  const inFront = useInFront();
  const watching = useRef(false);
  /**
   * The read mark the user caught up from: the "New messages" line goes above the first message after it from someone
   * else, among those loaded (one further up, once "Earlier messages" brings it: more than 50 were unread).
   */
  const [newAfter, setNewAfter] = useState<number>();
  // Bumped 5 s after a read mark that could not be stored: it is sent again.
  const [readRetry, setReadRetry] = useState(0);
  useEffect(() => {
    if (history === undefined) return;
    if (!inFront || !seesEnd) {
      watching.current = false;
      return;
    }
    const catchingUp = !watching.current;
    watching.current = true;
    if (lastSeq <= readSent.current) return;
    const readBefore = readSent.current;
    readSent.current = lastSeq;
    const firstNew = messages.find((m) => m.seq > readBefore && m.senderId !== meId);
    if (catchingUp && firstNew) setNewAfter(readBefore);
    client.messages.read(id, lastSeq).catch(() => {
      // Not stored (it had been lost: the count stayed unread, the receipt "Sent", until the next message).
      if (readSent.current === lastSeq) readSent.current = readBefore;
      setTimeout(() => setReadRetry((n) => n + 1), 5000);
    });
  }, [client, id, lastSeq, inFront, seesEnd, history, messages, meId, readRetry]);
  const newFrom =
    newAfter === undefined ? undefined : messages.find((m) => m.seq > newAfter && m.senderId !== meId)?.seq;
  /** What came from others below a reader scrolled up, for "N new messages ↓". */
  const newBelow = seesEnd ? 0 : messages.filter((m) => m.seq > leftEndAt && m.senderId !== meId).length;
  const toEnd = () => {
    const box = logBox.current;
    if (!box) return;
    box.scrollTop = box.scrollHeight;
    // The button goes once the end is reached: the focus stays in the conversation, on the log.
    box.focus();
  };

  // Follows the newest message (not earlier ones loaded on demand) while the reader is at the end of the log: one who
  // scrolled up to read stays where they are (every message pulled them down). Their own message brings them back.
  // Only the log scrolls, not the page around it.
  useEffect(() => {
    const box = logBox.current;
    if (box && atEnd.current) box.scrollTop = box.scrollHeight;
    // The "New messages" line, shown once the history is in, moves what is below it down: followed too.
  }, [lastSeq, shownPending.length, newFrom]);

  const stopTyping = useCallback(() => {
    clearTimeout(typingTimer.current);
    if (typingSentAt.current === undefined) return;
    typingSentAt.current = undefined;
    client.request('typing', { conversationId: id, isTyping: false }).catch(() => undefined);
  }, [client, id]);
  useEffect(() => stopTyping, [stopTyping]);

  const onDraft = (value: string) => {
    setDraft(value);
    if (value.length === 0) return stopTyping();
    // Sent again while the typing goes on, so that the server's timeout does not end it on the other side.
    const now = Date.now();
    if (typingSentAt.current === undefined || now - typingSentAt.current >= TYPING_RENEW_MS) {
      typingSentAt.current = now;
      client.request('typing', { conversationId: id, isTyping: true }).catch(() => undefined);
    }
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const deliver = (item: Pending) => {
    setPending((list) =>
      list.map((p) => (p.clientId === item.clientId ? { ...p, status: 'sending', error: undefined } : p)),
    );
    client.messages.send(id, item.body, { clientId: item.clientId }).then(
      (message) => {
        setConfirmed((list) => [...list, message]);
        setPending((list) => list.filter((p) => p.clientId !== item.clientId));
      },
      // Kept with what it was refused with: the user reads why, and whether sending it again can help; a screen reader
      // says it (the message's line changes out of its sight).
      (error: unknown) => {
        setPending((list) => list.map((p) => (p.clientId === item.clientId ? { ...p, status: 'failed', error } : p)));
        setNotSent({ id: newClientId(), text: notSentText(error, t) });
      },
    );
  };
  /** A message not sent that the user gives up on (one the server refuses for good stayed until they signed out). */
  const discard = (item: Pending) => setPending((list) => list.filter((p) => p.clientId !== item.clientId));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    const item: Pending = { clientId: newClientId(), body, status: 'sending' };
    atEnd.current = true;
    setSeesEnd(true);
    setNewAfter(undefined);
    setPending((list) => [...list, item]);
    setDraft('');
    stopTyping();
    deliver(item);
  };

  const names = new Map(conversation.members.map((m) => [m.userId, m.displayName]));
  const myLast = [...messages].reverse().find((m) => m.senderId === meId);
  // Each member's read mark, or their own latest message if later: the server moves a sender's mark to what they send,
  // with no `message:read` (a reply from another client, which never showed the message here).
  const lastSent = new Map(messages.map((m) => [m.senderId, m.seq]));
  const seenBy = myLast
    ? conversation.members
        .filter(
          (m) => m.userId !== meId && Math.max(reads.get(m.userId) ?? 0, lastSent.get(m.userId) ?? 0) >= myLast.seq,
        )
        .map((m) => m.displayName)
    : [];
  // Read out by a screen reader: what just came live from others, each message with whose it is.
  const announced = heard.news
    .map((m) => `${t('labelled', { label: names.get(m.senderId) ?? t('chat.formerMember') })} ${m.body}`)
    .join(' ');
  const typers = [...typing.keys()].filter((u) => u !== meId).map((u) => names.get(u) ?? t('chat.formerMember'));

  return (
    <>
      <div className="conversation-head">
        <h2>{titleOf(conversation, meId)}</h2>
        {conversation.kind === 'group' && (
          <div className="tools">
            <button type="button" aria-expanded={adding} onClick={() => setAdding((v) => !v)} ref={addButton}>
              {t('chat.addPeople')}
            </button>
            <button type="button" onClick={() => void leave()}>
              {t('chat.leave')}
            </button>
          </div>
        )}
      </div>
      {conversation.kind === 'group' && (
        <p className="muted">{conversation.members.map((m) => m.displayName).join(', ')}</p>
      )}
      {conversation.kind === 'direct' && (
        <LastSeen client={client} userId={conversation.members.find((m) => m.userId !== meId)?.userId} />
      )}
      {adding && (
        <AddPeople
          client={client}
          conversation={conversation}
          onAdded={(members) => {
            setAdding(false);
            onMembers(id, members);
            // The form that had the focus is gone: back to the button that opened it.
            addButton.current?.focus();
          }}
        />
      )}
      <ErrorLine error={error} />
      {hasEarlier && (
        <button type="button" className="secondary" onClick={() => void loadEarlier()}>
          {t('chat.earlier')}
        </button>
      )}
      <ListState load={historyLoad} empty={history === undefined} />
      {/* Focusable: a keyboard user scrolls the history with the arrow keys. Not itself read out as it changes: the
          history comes into it 50 messages at a time (on opening, and with each "Earlier messages"), and a screen
          reader read them all out one after the other; what comes live is announced below. */}
      <div
        className="messages"
        role="log"
        aria-live="off"
        aria-label={t('chat.messages')}
        tabIndex={0}
        ref={logBox}
        onScroll={(event) => {
          const box = event.currentTarget;
          const end = box.scrollHeight - box.scrollTop - box.clientHeight < 48;
          if (atEnd.current && !end) setLeftEndAt(lastSeq);
          atEnd.current = end;
          setSeesEnd(end);
        }}
      >
        <ol>
          {messages.map((m, i) => (
            <Fragment key={m.id}>
              {(i === 0 || dayKeyOf(messages[i - 1].createdAt) !== dayKeyOf(m.createdAt)) && (
                <li className="day-divider">
                  <time dateTime={dayKeyOf(m.createdAt)}>{dayLabelOf(m.createdAt)}</time>
                </li>
              )}
              {m.seq === newFrom && <li className="new-divider">{t('chat.newMessages')}</li>}
              <li className={m.senderId === meId ? 'mine' : 'theirs'}>
                <span className="sender">{names.get(m.senderId) ?? t('chat.formerMember')}</span>
                <p>{m.body}</p>
                <time dateTime={m.createdAt} title={dateTimeOf(m.createdAt)}>
                  {hourMinuteOf(m.createdAt)}
                </time>
                {m === myLast && (
                  <span className="receipt">
                    {seenBy.length > 0 ? t('chat.seenBy', { names: seenBy.join(', ') }) : t('chat.sent')}
                  </span>
                )}
              </li>
            </Fragment>
          ))}
          {shownPending.map((p) => (
            <li key={p.clientId} className={`mine pending ${p.status}`}>
              <p>{p.body}</p>
              {p.status === 'sending' ? (
                <span className="receipt">{t('chat.sending')}</span>
              ) : (
                <span className="receipt">
                  {notSentText(p.error, t)}
                  {mayRetry(p.error) && (
                    <>
                      {' '}
                      <button type="button" onClick={() => deliver(p)}>
                        {t('retry')}
                      </button>
                    </>
                  )}{' '}
                  <button type="button" onClick={() => discard(p)}>
                    {t('chat.discard')}
                  </button>
                </span>
              )}
            </li>
          ))}
        </ol>
      </div>
      {newBelow > 0 && (
        <button type="button" className="secondary" onClick={toEnd}>
          {t('chat.newBelow', { count: newBelow })}
        </button>
      )}
      {/* One line for both: what came, or a refusal since. */}
      {notSent ? (
        <Announcer id={notSent.id} text={notSent.text} />
      ) : (
        <Announcer id={heard.news[heard.news.length - 1]?.seq} text={announced} />
      )}
      <p className="typing" aria-live="polite">
        {typers.length > 0 ? t('chat.typing', { names: typers.join(', '), count: typers.length }) : ''}
      </p>
      <form className="composer" onSubmit={submit}>
        <label htmlFor="composer-input">{t('chat.message')}</label>
        {/* Enter sends; Shift+Enter starts a new line (not while an input method is composing a character). */}
        <textarea
          id="composer-input"
          rows={1}
          value={draft}
          maxLength={4000}
          autoComplete="off"
          onChange={(event) => onDraft(event.target.value)}
          onKeyDown={(event) => {
            // Enter that ends an input method's composition (Chinese, Japanese, Korean) picks the word, not sends:
            // Safari has ended the composition by then (isComposing false) but still reports the key as 229.
            const composing = event.nativeEvent.isComposing || event.nativeEvent.keyCode === 229;
            if (event.key !== 'Enter' || event.shiftKey || composing) return;
            event.preventDefault();
            event.currentTarget.form?.requestSubmit();
          }}
          onBlur={stopTyping}
        />
        <button type="submit">{t('chat.send')}</button>
      </form>
    </>
  );
}

/** People found by display name, to check: the members of a new conversation, or people added to a group. */
function PeoplePicker({
  client,
  exclude,
  chosen,
  onChosen,
}: {
  client: RealtimeClient;
  exclude: Set<string>;
  chosen: Map<string, string>;
  onChosen(chosen: Map<string, string>): void;
}) {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<Array<{ id: string; displayName: string }>>([]);

  useEffect(() => {
    const timer = setTimeout(() => {
      api<Page<{ id: string; displayName: string }>>(
        client,
        'GET',
        `/api/v1/users?limit=20&query=${encodeURIComponent(query)}`,
      )
        .then((page) => setFound(page.items.filter((u) => u.id !== client.userId && !exclude.has(u.id))))
        .catch(() => undefined);
    }, 200);
    return () => clearTimeout(timer);
  }, [client, query, exclude]);

  return (
    <>
      <label>
        {t('chat.findPeople')}
        <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} />
      </label>
      <fieldset>
        <legend>{t('chat.members')}</legend>
        {found.map((u) => (
          <label key={u.id} className="check">
            <input
              type="checkbox"
              checked={chosen.has(u.id)}
              onChange={(event) => {
                const next = new Map(chosen);
                if (event.target.checked) next.set(u.id, u.displayName);
                else next.delete(u.id);
                onChosen(next);
              }}
            />
            {u.displayName}
          </label>
        ))}
      </fieldset>
    </>
  );
}

const NOBODY = new Set<string>();

function NewConversation({
  client,
  onCreated,
}: {
  client: RealtimeClient;
  onCreated(conversation: ConversationPayload): void;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [chosen, setChosen] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<unknown>();
  const { busy, submit } = useOnce();

  const onSubmit = submit(async (form) => {
    const title = String(new FormData(form).get('title') ?? '').trim();
    try {
      const conversation = await api<ConversationPayload>(client, 'POST', '/api/v1/conversations', {
        memberIds: [...chosen.keys()],
        ...(title ? { title } : {}),
      });
      onCreated(conversation);
      void navigate(`/chat/${conversation.id}`);
    } catch (err) {
      setError(err);
    }
  });

  return (
    <form className="new-conversation" onSubmit={onSubmit}>
      <label>
        {t('chat.groupTitle')}
        <input name="title" maxLength={200} />
      </label>
      <PeoplePicker client={client} exclude={NOBODY} chosen={chosen} onChosen={setChosen} />
      <ErrorLine error={error} />
      <button type="submit" disabled={chosen.size === 0} aria-disabled={busy}>
        {t('chat.create')}
      </button>
    </form>
  );
}

function AddPeople({
  client,
  conversation,
  onAdded,
}: {
  client: RealtimeClient;
  conversation: ConversationPayload;
  onAdded(members: ConversationPayload['members']): void;
}) {
  const { t } = useTranslation();
  const [chosen, setChosen] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<unknown>();
  const members = useMemo(() => new Set(conversation.members.map((m) => m.userId)), [conversation.members]);
  const { busy, submit } = useOnce();

  const onSubmit = submit(async () => {
    try {
      const updated = await api<ConversationPayload>(
        client,
        'POST',
        `/api/v1/conversations/${conversation.id}/members`,
        { userIds: [...chosen.keys()] },
      );
      onAdded(updated.members);
    } catch (err) {
      setError(err);
    }
  });

  return (
    <form className="new-conversation" onSubmit={onSubmit}>
      <PeoplePicker client={client} exclude={members} chosen={chosen} onChosen={setChosen} />
      <ErrorLine error={error} />
      <button type="submit" disabled={chosen.size === 0} aria-disabled={busy}>
        {t('chat.add')}
      </button>
    </form>
  );
}
