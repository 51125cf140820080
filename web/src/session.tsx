// The signed-in user, their one RealtimeClient and what is unread (one stream each per tab), shared by every screen
// through a context. A tab follows the browser's session (kept in localStorage, shared by its tabs): signed out in
// another tab, it signs out too; signed in there as someone else, it switches to that account, on the chat list.
import {
  createClient,
  type InboxEntry,
  type NotificationPayload,
  type RealtimeClient,
  type Stream,
} from '@realtime-hub/client';
import {
  createContext,
  Fragment,
  type ReactNode,
  startTransition,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { useLocation, useNavigate } from 'react-router';
import type { User } from './api';
import { forgetDrafts } from './drafts';
import { forgetUnsent } from './unsent';

const STORAGE_KEY = 'realtime-hub.session';
/**
 * When the server ended the browser's session (revoked, disabled, too old), set before the session is removed: the
 * sign-in page of every tab says so for a minute, until someone signs in.
 */
const ENDED_KEY = 'realtime-hub.session-ended';
const ENDED_SHOWN_MS = 60_000;

/** The server ended the session (the client was refused): said on every tab's sign-in page (sessionEndedLately). */
export function markSessionEnded(): void {
  localStorage.setItem(ENDED_KEY, String(Date.now()));
}

/** Whether the server ended the browser's session in the last minute. */
export function sessionEndedLately(): boolean {
  const at = Number(localStorage.getItem(ENDED_KEY));
  return at > 0 && Date.now() - at < ENDED_SHOWN_MS;
}

interface StoredSession {
  token: string;
  user: User;
}

/** What is unread, one stream each for the whole tab: the header counts it and the screens show it. */
export interface UnreadStreams {
  /** The unread notification count. */
  notifications: Stream<number>;
  /** Each conversation's last message and unread count. */
  inbox: Stream<Map<string, InboxEntry>>;
  /** The notifications that come from now on, gapless (what the desktop notifications and the chime tell of). */
  notices: Stream<NotificationPayload>;
}

interface SessionValue {
  user: User | undefined;
  /** The last user this tab showed, kept after signing out (the sign-in page sends only them back where they were). */
  lastUserId: string | undefined;
  client: RealtimeClient | undefined;
  unread: UnreadStreams | undefined;
  signIn(session: StoredSession): void;
  signOut(): void;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

function readStored(): StoredSession | undefined {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : undefined;
  } catch {
    return undefined;
  }
}

/** A token's claims (unverified: the server checks them), or an empty object when they cannot be read. */
function claimsOf(token: string): { sub?: string; iat?: number; exp?: number } {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))) as object;
  } catch {
    return {};
  }
}

/** The user id a token was issued to (its `sub`), or undefined when it cannot be read. */
function subjectOf(token: string): string | undefined {
  return claimsOf(token).sub;
}

/** The stored session when it is `userId`'s (its user and its token's), else undefined: never another user's token. */
function storedFor(userId: string): StoredSession | undefined {
  const stored = readStored();
  if (!stored || stored.user.id !== userId) return undefined;
  const subject = subjectOf(stored.token);
  return subject === undefined || subject === userId ? stored : undefined;
}

/** A fresh token for the same account, or undefined when the session is over. */
async function refresh(token: string): Promise<string | undefined> {
  const response = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) return undefined;
  return ((await response.json()) as { accessToken: string }).accessToken;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<StoredSession | undefined>(readStored);
  const navigate = useNavigate();
  // The tab's user now, and the last one it showed (kept after signing out): another account's session, when the
  // tab follows it, starts on the chat list rather than on a page of the account before.
  const current = useRef(session);
  const lastUserId = useRef(session?.user.id);
  useEffect(() => {
    current.current = session;
    if (session) lastUserId.current = session.user.id;
  }, [session]);

  /** This tab takes the browser's session as it is now (another tab changed it). */
  const follow = useCallback(
    (stored: StoredSession | undefined) => {
      // One transition, as the router's own navigations are: the new user is never shown the page before (the
      // sign-in page would send them back to it).
      startTransition(() => {
        const switched = stored && lastUserId.current !== undefined && stored.user.id !== lastUserId.current;
        // The kiosk's screen uses no session: it stays where it is.
        if (switched && !window.location.pathname.startsWith('/kiosk')) {
          navigate('/chat', { replace: true });
        }
        setSession((before) =>
          stored && before?.user.id === stored.user.id && before.token === stored.token ? before : stored,
        );
      });
    },
    [navigate],
  );

  // Another tab signed in, signed out or renewed the token (a tab gets no `storage` event of its own changes).
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.storageArea !== localStorage || (event.key !== null && event.key !== STORAGE_KEY)) return;
      follow(readStored());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [follow]);

  const signIn = useCallback((next: StoredSession) => {
    localStorage.removeItem(ENDED_KEY);
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setSession(next);
  }, []);
  const signOut = useCallback(() => {
    const stored = readStored();
    // Another account's session (stored by another tab, its event not handled yet) is not this tab's to end.
    if (stored && stored.user.id !== current.current?.user.id) {
      // Not ended for the browser either: the sign-in page must not say so later.
      localStorage.removeItem(ENDED_KEY);
      follow(stored);
      return;
    }
    localStorage.removeItem(STORAGE_KEY);
    setSession(undefined);
  }, [follow]);

  const userId = session?.user.id;
  const client = useMemo(() => {
    if (!userId) return undefined;
    /** The token last given to the client. */
    const given: { token?: string } = {};
    return createClient({
      url: window.location.origin,
      reconnectDelayMs: 300,
      reconnectDelayMaxMs: 3000,
      // Only ever this tab's user's token: if the browser's session is now another account's (or none), this
      // client gets no token, and the `storage` event moves the tab to that session.
      getToken: async ({ reason }) => {
        const stored = storedFor(userId);
        if (!stored) throw new Error('Not this tab’s session');
        // `expiring`: the client's token is ending (the server's notice), or three quarters into its life without a
        // socket (the SDK's own renewal); a token another tab renewed meanwhile is taken as it is.
        if (reason === 'connect' || (reason === 'expiring' && stored.token !== given.token))
          return (given.token = stored.token);
        const token = await refresh(stored.token);
        if (!token) throw new Error('Session over');
        // Kept only if the browser is still signed in as this user (another tab may have signed out meanwhile).
        const now = storedFor(userId);
        if (!now) throw new Error('Not this tab’s session');
        localStorage.setItem(STORAGE_KEY, JSON.stringify({ ...now, token }));
        return (given.token = token);
      },
    });
  }, [userId]);

  useEffect(() => () => client?.close(), [client]);
  // Unsaved document drafts and unsent messages are the user's: forgotten when they sign out or another account takes
  // the tab.
  useEffect(
    () => () => {
      forgetDrafts();
      forgetUnsent();
    },
    [userId],
  );
  const unread = useMemo(
    () =>
      client
        ? { notifications: client.unreadCount(), inbox: client.inbox(), notices: client.notifications() }
        : undefined,
    [client],
  );

  // The last user shown, kept once signed out (set while rendering, as React has state follow a prop).
  const [shownUserId, setShownUserId] = useState(session?.user.id);
  if (session && session.user.id !== shownUserId) setShownUserId(session.user.id);
  const value = useMemo(
    () => ({ user: session?.user, lastUserId: shownUserId, client, unread, signIn, signOut }),
    [session, shownUserId, client, unread, signIn, signOut],
  );
  // Keyed by the user: nothing one account's screens hold (a draft, a list, a pending send) is shown to another;
  // but the kiosk's screen, which uses no session, is kept whoever signs in or out in another tab.
  const kiosk = useLocation().pathname.startsWith('/kiosk');
  return (
    <SessionContext.Provider value={value}>
      <Fragment key={kiosk ? 'kiosk' : (userId ?? '')}>{children}</Fragment>
    </SessionContext.Provider>
  );
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** For screens behind the sign-in guard: the user and client are there. */
export function useSignedIn(): { user: User; client: RealtimeClient; unread: UnreadStreams; signOut(): void } {
  const { user, client, unread, signOut } = useSession();
  if (!user || !client || !unread) throw new Error('Not signed in');
  return { user, client, unread, signOut };
}
