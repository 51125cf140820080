// Thin React bindings over the core: state and streams as hook values, subscriptions tied to a component's life.
// React is a peer dependency of this entry point only; the core never imports it.
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ChannelHandlers, ConnectionState, RealtimeClient } from '../client.js';
import type { MessagePayload } from '@realtime-hub/protocol';
import type { Stream } from '../observable.js';

/** The connection state, re-rendering on each change. */
export function useConnectionState(client: RealtimeClient): ConnectionState {
  return useSyncExternalStore(
    (onChange) => {
      const subscription = client.connection.subscribe(() => onChange());
      return () => subscription.unsubscribe();
    },
    () => client.state,
    () => client.state,
  );
}

/** No items (one array, so a component's effects on the items do not run again for another empty one). */
const NONE: never[] = [];

/**
 * The latest value of a stream (`initial` until the first one). Pass a stable stream (e.g. from useMemo). A value is
 * kept with the stream it came from: a render with another stream shows `initial` until that one's first value, never
 * the previous stream's (another resource's state, another account's count).
 */
export function useStreamValue<T>(stream: Stream<T> | undefined, initial: T): T {
  const [seen, setSeen] = useState<{ stream?: Stream<T>; value?: T }>({});
  useEffect(() => {
    if (!stream) return undefined;
    const subscription = stream.subscribe((value) => setSeen({ stream, value }));
    return () => subscription.unsubscribe();
  }, [stream]);
  return stream && seen.stream === stream ? (seen.value as T) : initial;
}

/**
 * Every item of a stream so far (the newest `max`), e.g. notifications or a conversation's messages. Items are kept
 * with the stream they came from, so a render after a switch never shows the previous stream's. A change of `max`
 * keeps the items (a live stream does not send them again: resubscribing for it emptied the list for good).
 */
export function useStreamItems<T>(stream: Stream<T> | undefined, max = 500): T[] {
  const [seen, setSeen] = useState<{ stream?: Stream<T>; items: T[] }>({ items: NONE });
  const limit = useRef(max);
  useEffect(() => {
    limit.current = max;
  }, [max]);
  useEffect(() => {
    if (!stream) return undefined;
    const subscription = stream.subscribe((item) =>
      setSeen((last) => ({
        stream,
        items: [...(last.stream === stream ? last.items : NONE), item].slice(-limit.current),
      })),
    );
    return () => subscription.unsubscribe();
  }, [stream]);
  const items = stream && seen.stream === stream ? seen.items : NONE;
  return useMemo(() => (items.length > max ? items.slice(-max) : items), [items, max]);
}

/**
 * What a stream ended with, once it ends in an error (undefined until then, and again for another stream): a resource
 * refused (`AckFailure`, `FORBIDDEN`), a conversation the user left or may not read (`RestError`, 403). useStreamValue
 * and useStreamItems keep what they had; this says why nothing more comes.
 */
export function useStreamError<T>(stream: Stream<T> | undefined): unknown {
  const [seen, setSeen] = useState<{ stream?: Stream<T>; error?: unknown }>({});
  useEffect(() => {
    if (!stream) return undefined;
    const subscription = stream.subscribe({ error: (error) => setSeen({ stream, error }) });
    return () => subscription.unsubscribe();
  }, [stream]);
  return stream && seen.stream === stream ? seen.error : undefined;
}

/** Subscribes to a channel while mounted; the latest handlers are called without resubscribing. */
export function useChannel<C extends string>(
  client: RealtimeClient,
  channel: C | undefined,
  handlers: ChannelHandlers<C>,
): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!channel) return undefined;
    const proxy = new Proxy({} as ChannelHandlers<C>, {
      get: (_target, key) => {
        const handler = (latest.current as Record<string | symbol, unknown>)[key];
        return typeof handler === 'function' ? (...args: unknown[]) => handler(...args) : undefined;
      },
    });
    return client.subscribe(channel, proxy);
  }, [client, channel]);
}

/**
 * A conversation's messages, gapless, and a send function that survives going offline. `afterSeq` (read when the
 * conversation changes): 0 for the whole history, undefined for what arrives from now on. `error`: why no more
 * messages come, once the stream ended (the user is not, or no longer, a member: a `RestError`, 403).
 */
export function useConversation(
  client: RealtimeClient,
  conversationId: string,
  options: { afterSeq?: number } = {},
): { messages: MessagePayload[]; error: unknown; send(body: string): Promise<MessagePayload> } {
  const { afterSeq } = options;
  // Made while rendering (a stream starts only when observed), so the first render of another conversation already
  // has its stream and none of the previous one's messages.
  const stream = useMemo(
    () => client.conversationMessages(conversationId, { afterSeq }),
    [client, conversationId, afterSeq],
  );
  const messages = useStreamItems(stream);
  const error = useStreamError(stream);
  return { messages, error, send: (body) => client.messages.send(conversationId, body) };
}
