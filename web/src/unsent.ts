// What the user wrote in a conversation and has not seen stored: the messages on their way ("Sending…", or failed, with
// why, and offered again where that can help) and the composer's text, per conversation. Kept while they open another
// conversation or page and come back: the SDK still holds such a message and sends it once the connection is back,
// but the conversation's screen, made anew, no longer showed it, and the user, thinking it lost, wrote it again. Kept
// in memory only, and forgotten with the session's user (session.tsx), as drafts.ts is.
import { useCallback, useSyncExternalStore } from 'react';

export interface Pending {
  clientId: string;
  body: string;
  status: 'sending' | 'failed';
  /** What the send was refused with (the SDK's AckFailure or RestError, or another error), once failed. */
  error?: unknown;
}

const pendingBy = new Map<string, Pending[]>();
const composerBy = new Map<string, string>();
const listeners = new Set<() => void>();
const NONE: Pending[] = [];

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A conversation's messages on their way, and the way to change them (from anywhere, the screen gone or not). */
export function usePending(conversationId: string): [Pending[], (update: (list: Pending[]) => Pending[]) => void] {
  const pending = useSyncExternalStore(subscribe, () => pendingBy.get(conversationId) ?? NONE);
  const setPending = useCallback(
    (update: (list: Pending[]) => Pending[]) => {
      const next = update(pendingBy.get(conversationId) ?? NONE);
      if (next.length === 0) pendingBy.delete(conversationId);
      else pendingBy.set(conversationId, next);
      for (const listener of listeners) listener();
    },
    [conversationId],
  );
  return [pending, setPending];
}

/** The composer's text of a conversation, as the user left it. */
export function composerOf(conversationId: string): string {
  return composerBy.get(conversationId) ?? '';
}

export function keepComposer(conversationId: string, text: string): void {
  if (text) composerBy.set(conversationId, text);
  else composerBy.delete(conversationId);
}

export function forgetUnsent(): void {
  pendingBy.clear();
  composerBy.clear();
  for (const listener of listeners) listener();
}
