// Thin React bindings over the core: state and streams as hook values, subscriptions tied to a component's life.
// React is a peer dependency of this entry point only; the core never imports it.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
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

/** The latest value of a stream (`initial` until the first one). Pass a stable stream (e.g. from useMemo). */
export function useStreamValue<T>(stream: Stream<T> | undefined, initial: T): T {
  const [value, setValue] = useState<T>(initial);
  useEffect(() => {
    if (!stream) return undefined;
    const subscription = stream.subscribe((next) => setValue(next));
    return () => subscription.unsubscribe();
  }, [stream]);
  return value;
}

/** Every item of a stream so far (the newest `max`), e.g. notifications or a conversation's messages. */
export function useStreamItems<T>(stream: Stream<T> | undefined, max = 500): T[] {
  const [items, setItems] = useState<T[]>([]);
  useEffect(() => {
    setItems([]);
    if (!stream) return undefined;
    const subscription = stream.subscribe((item) => setItems((list) => [...list, item].slice(-max)));
    return () => subscription.unsubscribe();
  }, [stream, max]);
  return items;
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
 * conversation changes): 0 for the whole history, undefined for what arrives from now on.
 */
export function useConversation(
  client: RealtimeClient,
  conversationId: string,
  options: { afterSeq?: number } = {},
): { messages: MessagePayload[]; send(body: string): Promise<MessagePayload> } {
  const [stream, setStream] = useState<Stream<MessagePayload>>();
  const { afterSeq } = options;
  useEffect(() => {
    setStream(client.conversationMessages(conversationId, { afterSeq }));
  }, [client, conversationId, afterSeq]);
  const messages = useStreamItems(stream);
  return { messages, send: (body) => client.messages.send(conversationId, body) };
}
