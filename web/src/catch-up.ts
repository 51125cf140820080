// What a screen following a channel without a snapshot (the suggestions' votes, the kiosks' lists, a conversation's
// typing, read receipts and members) does to learn what happened while no event could reach it: it reads its state
// again once each subscription is in place (after a reconnect, events sent while the socket was away are not sent
// again; and the screen's first read may have been answered before its first subscription was in place, or a cut may
// come between the two), and every POLL_MS while the client polls over HTTP (its socket path refused: no event comes
// at all). The SDK's own streams (messages, notifications, a document, a job) catch up by themselves; these screens
// had stayed as they were until reloaded.
import type { RealtimeClient } from '@realtime-hub/client';
import { useConnectionState } from '@realtime-hub/client/react';
import { useCallback, useEffect, useRef } from 'react';

/** How often a screen reads its state again while the client polls: the SDK's own polling interval. */
export const POLL_MS = 5000;

/**
 * Runs `reload` after each subscription, and every POLL_MS while the client polls. Answers the channel's `subscribed`
 * handler (for `useChannel`); `reload` may change between renders.
 */
export function useCatchUp(client: RealtimeClient, reload: () => void): () => void {
  const latest = useRef(reload);
  useEffect(() => {
    latest.current = reload;
  });
  const polling = useConnectionState(client) === 'polling';
  useEffect(() => {
    if (!polling) return undefined;
    const timer = setInterval(() => latest.current(), POLL_MS);
    return () => clearInterval(timer);
  }, [polling]);
  return useCallback(() => latest.current(), []);
}
