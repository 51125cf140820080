// Pub/Sub subscriptions that survive a lost link, whatever moment it is lost at.
//
// ioredis resubscribes on its own after a reconnect (autoResubscribe) to the channels Redis had confirmed, and then
// forgets them: when the link drops again before Redis confirms the resubscription, the next reconnect has nothing
// left to resubscribe, and the connection stays deaf for good (the Socket.IO adapter to the other instances, the
// cluster bus to their revocations). Those resubscriptions are also sent without a catch, so each one lost that way
// was an unhandled rejection. Here the connection's owner's wish is the record: every (un)subscribe updates it as it
// is called, and each time the connection is ready again every channel wished for is subscribed again, until Redis
// has confirmed it on a link that stays up. A failed command is reported to `onFailure`, never left unhandled.
import type { Redis } from 'ioredis';

export type SubscribeCommand = 'subscribe' | 'psubscribe' | 'ssubscribe';
type UnsubscribeCommand = 'unsubscribe' | 'punsubscribe' | 'sunsubscribe';
type Command = SubscribeCommand | UnsubscribeCommand;
type Send = (...args: unknown[]) => Promise<unknown>;

const UNDOES: Record<UnsubscribeCommand, SubscribeCommand> = {
  unsubscribe: 'subscribe',
  punsubscribe: 'psubscribe',
  sunsubscribe: 'ssubscribe',
};

/** The ioredis options of a connection whose subscriptions `keepSubscriptions` keeps. */
export const KEPT_SUBSCRIPTION_OPTIONS = { autoResubscribe: false } as const;

export type SubscriptionFailure = (command: Command, channels: string[], err: Error) => void;

/**
 * Keeps the subscriptions of `connection` (opened with KEPT_SUBSCRIPTION_OPTIONS) across reconnects. Its
 * (un)subscribe methods are replaced: they record the wish, send the command, and resolve to 0 when it fails (after
 * `onFailure`), as callers that do not await them (the Socket.IO Redis adapter) expect.
 */
export function keepSubscriptions(connection: Redis, onFailure: SubscriptionFailure): void {
  const wished: Record<SubscribeCommand, Set<string>> = {
    subscribe: new Set(),
    psubscribe: new Set(),
    ssubscribe: new Set(),
  };
  const methods = connection as unknown as Record<Command, Send>;
  const send = {} as Record<Command, Send>;
  const sent = (command: Command, channels: string[], args: unknown[]): Promise<unknown> =>
    send[command](...args).catch((err: Error) => {
      onFailure(command, channels, err);
      return 0;
    });

  for (const command of Object.keys(wished) as SubscribeCommand[]) {
    send[command] = methods[command].bind(connection);
    methods[command] = (...args: unknown[]) => {
      const channels = channelsOf(args);
      for (const channel of channels) wished[command].add(channel);
      return sent(command, channels, args);
    };
  }
  for (const [command, undone] of Object.entries(UNDOES) as [UnsubscribeCommand, SubscribeCommand][]) {
    send[command] = methods[command].bind(connection);
    methods[command] = (...args: unknown[]) => {
      const channels = channelsOf(args);
      // Without channels, every channel of that kind.
      if (channels.length === 0) wished[undone].clear();
      for (const channel of channels) wished[undone].delete(channel);
      return sent(command, channels, args);
    };
  }

  // A duplicate of a subscription already sent (queued while the link was down, then sent) changes nothing in Redis.
  connection.on('ready', () => {
    for (const command of ['subscribe', 'psubscribe'] as const) {
      const channels = [...wished[command]];
      if (channels.length > 0) void sent(command, channels, [channels]);
    }
    // One command per channel, as ioredis sends them (a single SSUBSCRIBE takes the channels of one slot only).
    for (const channel of wished.ssubscribe) void sent('ssubscribe', [channel], [channel]);
  });
}

function channelsOf(args: unknown[]): string[] {
  return args.flat().filter((arg): arg is string => typeof arg === 'string');
}
