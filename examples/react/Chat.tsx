// A React chat panel on @realtime-hub/client/react: the connection state, a conversation's messages (gapless, in seq
// order, caught up after every reconnect) and a send that survives going offline. Type-checked by
// test/tools/first-contact.spec.ts; the web app (web/src) is the full-size example.
import { createClient, type RealtimeClient } from '@realtime-hub/client';
import { useConnectionState, useConversation, useStreamValue } from '@realtime-hub/client/react';
import { useEffect, useMemo, useState } from 'react';

/**
 * One client per signed-in tab, made when the component mounts and closed when it unmounts (undefined before): made in
 * render (useMemo), a render React throws away (StrictMode's second call, a Suspense retry) left a client open, its
 * socket included. `getToken` is asked on every handshake and before the token expires: pass a stable function (a new
 * one makes a new client).
 */
export function useHub(url: string, getToken: (refresh: boolean) => Promise<string>): RealtimeClient | undefined {
  const [hub, setHub] = useState<RealtimeClient>();
  useEffect(() => {
    const client = createClient({ url, getToken: ({ reason }) => getToken(reason !== 'connect') });
    setHub(client);
    return () => client.close();
  }, [url, getToken]);
  return hub;
}

export function Chat({ hub, conversationId }: { hub: RealtimeClient; conversationId: string }) {
  const state = useConnectionState(hub);
  const unread = useStreamValue(useMemo(() => hub.unreadCount(), [hub]), 0);
  const { messages, error, send } = useConversation(hub, conversationId, { afterSeq: 0 });
  const [draft, setDraft] = useState('');
  return (
    <section aria-label="Conversation">
      <p role="status">
        {state === 'online' ? 'Live' : state} · {unread} unread notifications
      </p>
      <ol>
        {messages.map((m) => (
          <li key={m.id}>{m.body}</li>
        ))}
      </ol>
      {/* The stream ended: the user is not, or no longer, a member. */}
      {error !== undefined && <p role="alert">You are not in this conversation.</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          // A refusal (not a member any more) or the client closed: say so rather than leave it unhandled.
          send(draft).catch((error: unknown) => console.warn('Not sent:', error));
          setDraft('');
        }}
      >
        <label>
          Message <input value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <button type="submit" disabled={!draft}>
          Send
        </button>
      </form>
    </section>
  );
}
