// The signed-in user, their one RealtimeClient and what is unread (one stream each per tab), shared by every screen
// through a context.
import { createClient, type InboxEntry, type RealtimeClient, type Stream } from '@realtime-hub/client';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { User } from './api';

const STORAGE_KEY = 'realtime-hub.session';

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
}

interface SessionValue {
  user: User | undefined;
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

  const signIn = useCallback((next: StoredSession) => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setSession(next);
  }, []);
  const signOut = useCallback(() => {
    localStorage.removeItem(STORAGE_KEY);
    setSession(undefined);
  }, []);

  const userId = session?.user.id;
  const client = useMemo(() => {
    if (!userId) return undefined;
    return createClient({
      url: window.location.origin,
      reconnectDelayMs: 300,
      reconnectDelayMaxMs: 3000,
      getToken: async ({ reason }) => {
        const current = readStored();
        if (!current) throw new Error('Signed out');
        if (reason === 'connect') return current.token;
        const token = await refresh(current.token);
        if (!token) throw new Error('Session over');
        localStorage.setItem(STORAGE_KEY, JSON.stringify({ ...current, token }));
        return token;
      },
    });
  }, [userId]);

  useEffect(() => () => client?.close(), [client]);
  const unread = useMemo(
    () => (client ? { notifications: client.unreadCount(), inbox: client.inbox() } : undefined),
    [client],
  );

  const value = useMemo(
    () => ({ user: session?.user, client, unread, signIn, signOut }),
    [session, client, unread, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
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
