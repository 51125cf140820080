// A React chat panel on @realtime-hub/client/react: the connection state, a conversation's messages (gapless, in seq
// order, caught up after every reconnect) and a send that survives going offline. Type-checked by
// test/tools/first-contact.spec.ts; the web app (web/src) is the full-size example.
import { createClient, type RealtimeClient } from '@realtime-hub/client';
import { useConnectionState, useConversation, useStreamValue } from '@realtime-hub/client/react';
import { useEffect, useMemo, useState } from 'react';

/** One client per signed-in tab; `getToken` is asked on every handshake and before the token expires. */
export function useHub(url: string, getToken: (refresh: boolean) => Promise<string>): RealtimeClient {
  const hub = useMemo(() => createClient({ url, getToken: ({ reason }) => getToken(reason !== 'connect') }), [url, getToken]);
  // Under React's StrictMode the effect runs twice in development, its first cleanup closing the client: reconnect()
  // starts it again (it does nothing for a client not closed).
  useEffect(() => {
    hub.reconnect();
    return () => hub.close();
  }, [hub]);
  return hub;
}

export function Chat({ hub, conversationId }: { hub: RealtimeClient; conversationId: string }) {
  const state = useConnectionState(hub);
  const unread = useStreamValue(useMemo(() => hub.unreadCount(), [hub]), 0);
  const { messages, send } = useConversation(hub, conversationId, { afterSeq: 0 });
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
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void send(draft);
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
