// The framework-free client: one socket with a connection state apps can render, channel subscriptions restored
// after every reconnect, gapless streams, offline-safe sends and an HTTP fallback when no socket opens.
import {
  type AckError,
  channelOf,
  type ChannelEvents,
  type ChannelKindOf,
  channels,
  type ChannelSnapshots,
  type ClientEventName,
  type ClientEventPayload,
  type ClientEventResult,
  ConnectErrors,
  type ConversationPayload,
  ErrorCodes,
  type JobEventPayload,
  type MessagePayload,
  type NotificationPayload,
  parseChannel,
  type ParsedChannel,
  type ResourcePayload,
  type ServerEventName,
  type ServerEvents,
  type SuggestionPayload,
  type SuggestionVotePayload,
} from '@realtime-hub/protocol';
import { io, type Socket } from 'socket.io-client';
import { type InboxEntry, mergeInbox, mergeUnread, newerVersion } from './merge.js';
import { Stream } from './observable.js';
import { createRestClient, type RestClient, RestError, unwrap } from './rest.js';
import { type SeqItem, type SeqSource, SeqSequencer, type SeqStreamOptions } from './seq-stream.js';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'polling' | 'offline' | 'unauthorized';

/**
 * Why a token is asked for: `connect` (any (re)connection), `expiring` (the server's 60 s notice: a fresh one is
 * sent with `auth:refresh`), `expired` (the socket was closed with TOKEN_EXPIRED), `rejected` (the server refused
 * the last one; asked once before the client reports `unauthorized`).
 */
export interface TokenRequest {
  reason: 'connect' | 'expiring' | 'expired' | 'rejected';
}

export interface ClientOptions {
  /** The server's base URL (`http(s)://host:port`), for both the socket and REST. */
  url: string;
  getToken(request: TokenRequest): string | Promise<string>;
  /** Socket.IO transports, in order (default: Socket.IO's own, polling then websocket). */
  transports?: ('websocket' | 'polling')[];
  /** With no socket open for this long, the client polls REST (`polling`). Default 8000. */
  fallbackAfterMs?: number;
  /** REST poll interval in `polling`. Default 5000. */
  pollIntervalMs?: number;
  /** Reconnection backoff (Socket.IO's, with jitter). Defaults 500 and 5000. */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  /** Ack, handshake and REST request timeout. Default 10000. */
  timeoutMs?: number;
  /** How long an out-of-order item waits for its predecessor before the gap is fetched. Default 100. */
  gapWaitMs?: number;
  /**
   * The most client events sent per second, in bursts of up to twice as many; those beyond wait their turn, in order.
   * Default 40: under the server's per-socket limit (`WS_RATE_LIMIT`, 50 and bursts of 100 by default), which refuses
   * the excess and disconnects a socket refused too often, so a screen that subscribes to 150 channels at once (or
   * again after a reconnect) is never refused. Keep it below the server's if that is set lower.
   */
  eventsPerSecond?: number;
  fetch?: typeof fetch;
  /** Errors no caller awaits: `error` events, failed catch-ups, refused subscriptions without an error handler. */
  onError?(error: unknown): void;
}

type Kind<C extends string> = ChannelKindOf<C>;

export type ChannelHandlers<C extends string = string> = {
  [E in ChannelEvents[Kind<C>]]?: (payload: ServerEvents[E]) => void;
} & {
  /** The channel's snapshot, on every (re)subscription that has one. */
  snapshot?(snapshot: ChannelSnapshots[Kind<C>]): void;
  /** After every successful (re)subscription. */
  subscribed?(): void;
  /**
   * Reads again what the channel sends no snapshot of (a list, counts, who is typing): once each (re)subscription is
   * in place, the first included (events sent while the socket was away are not sent again, and a read made before the
   * first subscription was in place may have missed one), and on every poll of the HTTP fallback (no event comes then).
   * A rejection is reported to `onError`; in the fallback a 401 ends in `unauthorized`, as the client's own reads do.
   */
  catchUp?(): unknown;
  /** The server removed the socket from the channel (e.g. `FORBIDDEN`); the subscription is over. */
  unsubscribed?(info: { reason?: string }): void;
  /** The subscription was refused (FORBIDDEN, NOT_FOUND, UNKNOWN_CHANNEL, ...). */
  error?(error: AckError): void;
};

type AnyHandlers = Record<string, ((payload: never) => void) | undefined>;

interface ChannelEntry {
  channel: string;
  parsed: ParsedChannel | null;
  handlers: Set<ChannelHandlers>;
  /** Subscribed on the current socket. */
  active: boolean;
  snapshot?: unknown;
}

interface Outgoing {
  conversationId: string;
  body: string;
  clientId: string;
  attempts: number;
  inFlight: boolean;
  resolve(message: MessagePayload): void;
  reject(error: unknown): void;
}

/** A refused acknowledgement. */
export class AckFailure extends Error {
  constructor(readonly error: AckError) {
    super(error.message);
    this.name = 'AckFailure';
  }
  get code(): string {
    return this.error.code;
  }
}

const PERMANENT_SUBSCRIBE_ERRORS = new Set<string>([
  ErrorCodes.FORBIDDEN,
  ErrorCodes.LIMIT_EXCEEDED,
  ErrorCodes.NOT_FOUND,
  ErrorCodes.UNKNOWN_CHANNEL,
  ErrorCodes.VALIDATION_FAILED,
]);
const RETRYABLE_CODES = new Set<string>([
  ErrorCodes.RATE_LIMITED,
  ErrorCodes.INTERNAL,
  ErrorCodes.SERVICE_UNAVAILABLE,
  'TIMEOUT',
]);

/** How many subscriptions' snapshots the HTTP fallback reads in one poll. */
const SNAPSHOTS_PER_POLL = 20;
/** How long a token renewal after a 401 answers the other requests refused with the same token. */
const RENEWAL_REUSE_MS = 5000;
/** The retry of a failed read of the unread count or the inbox: as the gapless streams', doubling up to 30 s. */
const READ_RETRY_MS = 1000;
const READ_RETRY_MAX_MS = 30_000;
/** The inbox reads at most this many pages of 100 conversations (the most recent activity first). */
const INBOX_MAX_PAGES = 10;
/**
 * On a resubscription or a poll, suggestionVotes() reads the most recent suggestions, this many per page, back to one
 * it knew (at most SUGGESTION_PAGES pages).
 */
const RECENT_SUGGESTIONS = 100;
const SUGGESTION_PAGES = 10;

/** Between half and one and a half times `ms` (a fraction of a millisecond is a delay setTimeout takes). */
function jitter(ms: number): number {
  return ms * (0.5 + Math.random());
}

/** A JWT's claims (no verification: the server does that); empty when they cannot be read. */
function claimsOf(token: string): { sub?: string; role?: string; iat?: number; exp?: number } {
  try {
    // base64url to base64; atob takes it without its padding (the forgiving base64 of the HTML standard).
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as object;
  } catch {
    return {};
  }
}

/** When the client renews a token itself: three quarters into its life (NaN when its dates cannot be read). */
function renewalAt(token = ''): number {
  const { iat, exp } = claimsOf(token);
  return iat && exp ? (iat + (exp - iat) * 0.75) * 1000 : NaN;
}

export class RealtimeClient {
  /** The connection state; emits the current one to each new observer. */
  readonly connection = new Stream<ConnectionState>(undefined, true);
  readonly rest: RestClient;
  readonly messages: {
    /**
     * Sends with a generated `clientId`; queued while no transport is up and retried with the same `clientId`, so
     * the message is stored once however often it is retried. Resolves with the stored message.
     */
    send(conversationId: string, body: string, options?: { clientId?: string }): Promise<MessagePayload>;
    /** Marks the conversation read up to `seq` (`message:read`; over REST without a socket or an answer). */
    read(conversationId: string, seq: number): Promise<ClientEventResult<'message:read'>>;
  };

  readonly #socket: Socket;
  readonly #entries = new Map<string, ChannelEntry>();
  readonly #pollers = new Set<() => Promise<void>>();
  /** The channels' `catchUp` handlers, run on every poll; their success says nothing of the server being reachable. */
  readonly #catchUps = new Set<() => Promise<void>>();
  /** The fallback's reads of subscriptions' snapshots, least recently read first (see #poll). */
  readonly #snapshots = new Set<() => Promise<void>>();
  readonly #outbox: Outgoing[] = [];
  #stateValue: ConnectionState = 'connecting';
  #token: string | undefined;
  /** Resolves once a token was read: not the first read's outcome, which may fail before `reconnect()` gives one. */
  #tokenRead!: () => void;
  readonly #ready = new Promise<void>((resolve) => (this.#tokenRead = resolve));
  #tokenReason: TokenRequest['reason'] = 'connect';
  #authRetried = false;
  #expired = false;
  #closed = false;
  #userIdValue: string | undefined;
  #fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Which poll loop of the HTTP fallback is current: #clearTimers ends one (see #poll). */
  #loop = 0;
  /** The last renewal after a 401: the token it replaced, when it was asked, and its answer. */
  #renewal: [stale: string | undefined, at: number, token: Promise<string | undefined>] | undefined;
  /** The token of the last handshake ('' before the first: any token read since is new to it). */
  #presented = '';
  /** The last token read (#readToken), which the next one waits for. */
  #reading: Promise<string> | undefined;
  /** Reconnections of our own in a row without a connection (the backoff doubles with each). */
  #retries = 0;
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pacing (`eventsPerSecond`): a token bucket, when it was last filled, the events waiting in order, its timer. */
  #tokens: number;
  #filledAt = Date.now();
  readonly #waiting: Array<() => void> = [];
  #paceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pending retries of failed reads (unread count, inbox), cancelled by close(). */
  readonly #readRetries = new Set<ReturnType<typeof setTimeout> | undefined>();
  /** The renewal of the current token three quarters into its life (#renewIfDue). */
  #renewTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ClientOptions) {
    this.#tokens = 2 * this.#rate;
    this.connection.next('connecting');
    this.#readFirstToken();
    this.rest = createRestClient(
      options.url,
      {
        token: async () => this.#token ?? (await this.#readToken('connect')),
        renew: (stale) => this.#renewOnce(stale),
      },
      options.fetch,
      options.timeoutMs,
    );
    this.messages = {
      send: (conversationId, body, o) => this.#send(conversationId, body, o?.clientId),
      read: (conversationId, seq) =>
        this.#socketOrRest('message:read', { conversationId, seq }, () =>
          this.rest.POST('/api/v1/conversations/{id}/read', {
            params: { path: { id: conversationId } },
            body: { seq },
          }),
        ),
    };
    this.#socket = io(options.url, {
      autoConnect: false,
      forceNew: true,
      transports: options.transports,
      reconnection: true,
      reconnectionDelay: options.reconnectDelayMs ?? 500,
      reconnectionDelayMax: options.reconnectDelayMaxMs ?? 5000,
      randomizationFactor: 0.5,
      timeout: options.timeoutMs ?? 10_000,
      // Read on every (re)connection, so a reconnect never presents a token the app has replaced: asked again, unless
      // a token came since the last handshake (the first read, a renewal), which is then the newest the app gave.
      auth: (cb) => {
        const reason = this.#tokenReason;
        this.#tokenReason = 'connect';
        this.#readToken(reason, this.#presented).then(
          (token) => cb({ token: (this.#presented = token) }),
          () => cb({}),
        );
      },
    });
    this.#listen();
    this.#socket.connect();
    this.#armFallback();
  }

  get state(): ConnectionState {
    return this.#stateValue;
  }

  /** The user id of the token (user and admin tokens), once a token was read. */
  get userId(): string | undefined {
    return this.#userIdValue;
  }

  /**
   * A read of state (the unread count, the inbox), or a subscribe (#sendSubscribe), retried when it fails, with the
   * backoff of the gapless streams (`READ_RETRY_MS` doubling up to 30 s): `run` reads now (reporting a failure to
   * `onError` and retrying), `poll` is the HTTP fallback's read (rejects with what failed, the poll tick being its
   * retry), `stop` ends it.
   */
  #retryingRead(load: () => Promise<void>): { run(): void; poll(): Promise<void>; stop(): void } {
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const cancel = () => {
      clearTimeout(timer);
      this.#readRetries.delete(timer);
      timer = undefined;
    };
    const done = () => {
      failures = 0;
      cancel();
    };
    const run = (): void => {
      cancel();
      if (stopped || this.#halted) return;
      load().then(done, (err: unknown) => {
        this.#report(err);
        if (timer || stopped || this.#halted) return;
        timer = setTimeout(run, Math.min(READ_RETRY_MAX_MS, READ_RETRY_MS * 2 ** failures++));
        this.#readRetries.add(timer);
      });
    };
    return {
      run,
      poll: () => load().then(done),
      stop: () => {
        stopped = true;
        cancel();
      },
    };
  }

  /**
   * State of the user's own channel (the unread count, the inbox): `load` reads it at once (before the socket is up),
   * then as the channel's `catchUp`, retried when it fails; `handlers` apply its live events. Answers its stop.
   */
  #ownState(handlers: ChannelHandlers<`user:${string}`>, load: () => Promise<void>): () => void {
    const read = this.#retryingRead(load);
    const unsubscribe = this.subscribe(this.#ownChannel(), {
      ...handlers,
      // In the fallback the read's failure goes to the poll (a 401 ends in `unauthorized`), whose next tick retries.
      catchUp: () => (this.#socket.connected ? read.run() : read.poll()),
    });
    read.run();
    return () => {
      read.stop();
      unsubscribe();
    };
  }

  /**
   * Subscribes to a channel; restored after every reconnect. Returns the function that undoes it. Ids are the
   * server's, in lower case (it takes UUIDs in either case and names the channel in lower case).
   */
  subscribe<C extends string>(channel: C, handlers: ChannelHandlers<C>): () => void {
    channel = channel.toLowerCase() as C;
    const h = handlers as ChannelHandlers;
    let entry = this.#entries.get(channel);
    const existed = entry !== undefined;
    if (!entry) {
      entry = { channel, parsed: parseChannel(channel), handlers: new Set(), active: false };
      this.#entries.set(channel, entry);
    }
    entry.handlers.add(h);
    const poller = this.#snapshotPoller(entry, h);
    if (poller) this.#snapshots.add(poller);
    // Not once the subscription is over (the server ended it, or refused it).
    const catchUp =
      h.catchUp && (async () => void (this.#entries.get(channel)?.handlers.has(h) && (await h.catchUp!())));
    if (catchUp) this.#catchUps.add(catchUp);
    // A handler added to a channel with a snapshot subscribes it again: the first snapshot may be several changes old,
    // and every handler takes the fresh one as it would after a reconnect.
    if (!existed || (entry.active && entry.snapshot !== undefined)) {
      this.#sendSubscribe(entry);
    } else if (entry.active) {
      this.#inPlace(h);
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (poller) this.#snapshots.delete(poller);
      if (catchUp) this.#catchUps.delete(catchUp);
      const current = this.#entries.get(channel);
      if (!current || !current.handlers.delete(h) || current.handlers.size > 0) return;
      this.#entries.delete(channel);
      if (this.#socket.connected && current.active) this.request('unsubscribe', { channel }).catch(() => undefined);
    };
  }

  /** Emits a client event and resolves with its ack's data, or rejects with an AckFailure. */
  request<E extends ClientEventName>(event: E, payload: ClientEventPayload<E>): Promise<ClientEventResult<E>> {
    return this.#ask(event, payload);
  }

  /**
   * As `request` (which an app may wrap); `answered` takes the data as the ack is read. The packets read with it (a
   * slow link, or the switch from long-polling to a WebSocket, brings several in one read) are handled in the same
   * task, before any promise settles: a subscribe's snapshot applied where the promise resolved came after the events
   * that follow it.
   */
  #ask<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    answered?: (data: ClientEventResult<E>) => void,
  ): Promise<ClientEventResult<E>> {
    return new Promise((resolve, reject) => {
      // Sent when the pace allows (#pace).
      this.#waiting.push(() =>
        this.#socket
          .timeout(this.options.timeoutMs ?? 10_000)
          .emit(event, payload, (timedOut: unknown, ack: { ok: boolean; data?: unknown; error?: AckError }) => {
            if (timedOut) return reject(new AckFailure({ code: 'TIMEOUT', message: `No ack: ${event}` }));
            if (!ack.ok) return reject(new AckFailure(ack.error ?? { code: ErrorCodes.INTERNAL, message: 'Refused' }));
            // Thrown by a handler, as an event's handler's error is: into Socket.IO's reading of the packet.
            answered?.(ack.data as ClientEventResult<E>);
            resolve(ack.data as ClientEventResult<E>);
          }),
      );
      this.#pace();
    });
  }

  get #rate(): number {
    return this.options.eventsPerSecond ?? 40;
  }

  /** Lets the waiting events go, oldest first, as far as the bucket allows; comes back when the next one may. */
  #pace(): void {
    const now = Date.now();
    this.#tokens = Math.min(2 * this.#rate, this.#tokens + ((now - this.#filledAt) * this.#rate) / 1000);
    this.#filledAt = now;
    while (this.#waiting.length > 0 && (this.#tokens >= 1 || this.#closed)) {
      this.#tokens -= 1;
      this.#waiting.shift()!();
    }
    if (this.#waiting.length > 0 && !this.#paceTimer) {
      this.#paceTimer = setTimeout(
        () => {
          this.#paceTimer = undefined;
          this.#pace();
        },
        ((1 - this.#tokens) * 1000) / this.#rate,
      );
    }
  }

  /** The current user's notifications, gapless, in seq order, each once (default: those newer than at start). */
  notifications(options: SeqStreamOptions = {}): Stream<NotificationPayload> {
    return this.#seqStream(
      () => this.#ownChannel(),
      'notification',
      {
        fetchAfter: async (afterSeq, limit) =>
          unwrap(await this.rest.GET('/api/v1/notifications', { params: { query: { afterSeq, limit } } }))
            .items as NotificationPayload[],
        latestSeq: async () =>
          unwrap(await this.rest.GET('/api/v1/notifications', { params: { query: { limit: 1 } } })).items[0]?.seq ?? 0,
      },
      options,
    );
  }

  /** A conversation's messages, gapless, in seq order, each once (default: those newer than at start). */
  conversationMessages(conversationId: string, options: SeqStreamOptions = {}): Stream<MessagePayload> {
    const path = { id: conversationId };
    return this.#seqStream(
      () => channels.conversation(conversationId),
      'message:new',
      {
        fetchAfter: async (afterSeq, limit) =>
          unwrap(
            await this.rest.GET('/api/v1/conversations/{id}/messages', {
              params: { path, query: { afterSeq, limit } },
            }),
          ).items as MessagePayload[],
        latestSeq: async () =>
          unwrap(
            await this.rest.GET('/api/v1/conversations/{id}/messages', { params: { path, query: { limit: 1 } } }),
          ).items.at(-1)?.seq ?? 0,
      },
      options,
    );
  }

  /** A job's events, gapless, in seq order, each once (default: from the first). */
  jobEvents(jobId: string, options: SeqStreamOptions = {}): Stream<JobEventPayload> {
    const path = { id: jobId };
    return this.#seqStream(
      () => channels.job(jobId),
      'event',
      {
        fetchAfter: async (afterSeq, limit) =>
          unwrap(await this.rest.GET('/api/v1/jobs/{id}/events', { params: { path, query: { afterSeq, limit } } }))
            .items as JobEventPayload[],
        latestSeq: async () => 0,
      },
      { ...options, afterSeq: options.afterSeq ?? 0 },
    );
  }

  /** The unread notification count; an older version never replaces a newer one. */
  unreadCount(): Stream<number> {
    return new Stream<number>(
      (stream) =>
        this.#afterToken(() => {
          let current: { count: number; version?: number } | undefined;
          const apply = (incoming: { count: number; version?: number }) => {
            const next = mergeUnread(current, incoming);
            if (next === current) return;
            current = next;
            stream.next(next.count);
          };
          const load = async () => {
            // The answer carries the counter's version too: an older one than a live event's changes nothing.
            apply(
              unwrap(await this.rest.GET('/api/v1/notifications/unread-count')) as { count: number; version?: number },
            );
          };
          return this.#ownState({ 'notifications:unread': apply }, load);
        }),
      true,
    );
  }

  /** Marks a notification read, or every one without an `id` (over REST without a socket or an answer). */
  readNotification(id?: string): Promise<{ unreadCount: number }> {
    return id
      ? this.#socketOrRest('notification:read', { id }, () =>
          this.rest.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } }),
        )
      : this.#socketOrRest('notification:read_all', {}, () => this.rest.POST('/api/v1/notifications/read-all'));
  }

  /**
   * The inbox by conversation: last message and unread count, merged order-independently. Read at the start, after
   * every resubscription and on every poll: each read replaces the inbox with what the server lists (up to
   * `INBOX_MAX_PAGES` pages of 100 conversations), so a conversation left elsewhere goes; live updates that arrive
   * during a read are kept.
   */
  inbox(): Stream<Map<string, InboxEntry>> {
    return new Stream<Map<string, InboxEntry>>(
      (stream) =>
        this.#afterToken(() => {
          let entries = new Map<string, InboxEntry>();
          let known = false;
          /** The conversations updated live during each read in flight. */
          const reads = new Set<Set<string>>();
          const apply = (update: ServerEvents['inbox:update']) => {
            entries.set(update.conversationId, mergeInbox(entries.get(update.conversationId), update));
            for (const touched of reads) touched.add(update.conversationId);
            known = true;
            stream.next(new Map(entries));
          };
          /** A conversation listed or added: mergeInbox takes the last message's seq from it, the count from seqs. */
          const line = (c: ConversationPayload) =>
            ({
              conversationId: c.id,
              lastMessage: c.lastMessage,
              lastReadSeq: c.members.find((m) => m.userId === this.#userIdValue)?.lastReadSeq ?? 0,
            }) as ServerEvents['inbox:update'];
          const load = async () => {
            const touched = new Set<string>();
            reads.add(touched);
            try {
              const listed: ServerEvents['inbox:update'][] = [];
              let cursor: string | undefined;
              let pages = 0;
              do {
                const result = unwrap(
                  await this.rest.GET('/api/v1/conversations', { params: { query: { limit: 100, cursor } } }),
                ) as { items: ConversationPayload[]; nextCursor?: string | null };
                listed.push(...result.items.map(line));
                cursor = result.nextCursor ?? undefined;
              } while (cursor && ++pages < INBOX_MAX_PAGES);
              // What the server lists, merged with what is known (a live update may be newer than the read); what it
              // no longer lists goes, unless updated live meanwhile or beyond the pages read.
              const next = new Map<string, InboxEntry>();
              for (const update of listed) {
                next.set(update.conversationId, mergeInbox(entries.get(update.conversationId), update));
              }
              for (const [id, entry] of entries) {
                if (!next.has(id) && (touched.has(id) || cursor)) next.set(id, entry);
              }
              const changed = !known || JSON.stringify([...entries]) !== JSON.stringify([...next]);
              entries = next;
              known = true;
              if (changed) stream.next(new Map(entries));
            } finally {
              reads.delete(touched);
            }
          };
          // A conversation the user was added to (new, or a group with its history) is listed at once, not when a
          // message comes or at the next read.
          return this.#ownState(
            { 'inbox:update': apply, 'conversation:added': ({ conversation }) => apply(line(conversation)) },
            load,
          );
        }),
      true,
    );
  }

  /**
   * A resource's state: never goes backwards; a version gap refetches it; null once deleted (live, or found gone on a
   * resubscription or a poll); an AckFailure (`FORBIDDEN`) when the caller may not, or may no longer, read it.
   */
  resource(resourceId: string): Stream<ResourcePayload | null> {
    return new Stream<ResourcePayload | null>((stream) => {
      let current: ResourcePayload | undefined;
      /** Deleted, or no longer readable: nothing more is delivered. */
      let ended = false;
      // Nothing more can come: the channel is let go, so a reconnect does not ask for it again.
      let unsubscribe = (): void => undefined;
      const end = (): void => {
        ended = true;
        unsubscribe();
      };
      const gone = (): void => {
        if (ended) return;
        end();
        stream.next(null);
      };
      const refused = (error: AckError): void => {
        if (error.code === ErrorCodes.NOT_FOUND) return gone();
        if (ended) return;
        end();
        stream.error(new AckFailure(error));
      };
      const apply = (resource: ResourcePayload) => {
        if (ended) return;
        const next = newerVersion(current, resource);
        if (next === current) return;
        current = next;
        stream.next(next);
      };
      const refetch = async () => {
        apply(unwrap(await this.rest.GET('/api/v1/resources/{id}', { params: { path: { id: resourceId } } })) as never);
      };
      unsubscribe = this.subscribe(channels.resource(resourceId), {
        snapshot: apply,
        'resource:update': (update) => {
          if (current && update.version > current.version + 1) refetch().catch(this.#report);
          apply(update.resource);
        },
        'resource:deleted': gone,
        // No longer readable (made private): the stream ends with the reason.
        unsubscribed: ({ reason }) =>
          refused({ code: reason ?? ErrorCodes.FORBIDDEN, message: 'Read access withdrawn' }),
        error: refused,
      });
      return () => unsubscribe();
    }, true);
  }

  /**
   * Vote counts by suggestion: the highest version of each wins; a version gap refetches that suggestion. Every
   * resubscription (after a reconnect) and every poll of the HTTP fallback reads the most recent suggestions (one page,
   * `RECENT_SUGGESTIONS`) and refetches each other suggestion known, so neither votes cast nor suggestions created
   * while the socket was away are missed.
   */
  suggestionVotes(): Stream<Map<string, SuggestionVotePayload>> {
    return new Stream<Map<string, SuggestionVotePayload>>((stream) => {
      const counts = new Map<string, SuggestionVotePayload>();
      /** Keeps `incoming` if newer; emits unless `quiet` (a page read emits once). Answers whether it was kept. */
      const apply = (incoming: SuggestionVotePayload, quiet = false): boolean => {
        const current = counts.get(incoming.suggestionId);
        if (newerVersion(current, incoming) === current) return false;
        counts.set(incoming.suggestionId, incoming);
        if (!quiet) stream.next(new Map(counts));
        return true;
      };
      const fromSuggestion = ({
        id,
        upvotes,
        downvotes,
        score,
        version,
      }: SuggestionPayload): SuggestionVotePayload => ({
        suggestionId: id,
        upvotes,
        downvotes,
        score,
        version,
      });
      const refetch = async (id: string) => {
        const s = unwrap(await this.rest.GET('/api/v1/suggestions/{id}', { params: { path: { id } } }));
        apply(fromSuggestion(s as SuggestionPayload));
      };
      const refetchKnown = async () => {
        // Newest first, page after page until one holds a suggestion known before this read: those created while
        // away are all newer than it.
        const known = new Set(counts.keys());
        const listed = new Set<string>();
        let cursor: string | undefined;
        for (let page = 0; page < SUGGESTION_PAGES; page += 1) {
          const recent = unwrap(
            await this.rest.GET('/api/v1/suggestions', {
              params: { query: { sort: 'recent', limit: RECENT_SUGGESTIONS, cursor } },
            }),
          );
          let reached = known.size === 0;
          let changed = false;
          for (const s of recent.items as SuggestionPayload[]) {
            reached ||= known.has(s.id);
            listed.add(s.id);
            changed = apply(fromSuggestion(s), true) || changed;
          }
          if (changed) stream.next(new Map(counts));
          cursor = recent.nextCursor ?? undefined;
          if (reached || !cursor) break;
        }
        await Promise.all([...known].filter((id) => !listed.has(id)).map((id) => refetch(id)));
      };
      const unsubscribe = this.subscribe(channels.suggestions(), {
        'suggestion:created': (s) => apply(fromSuggestion(s)),
        'suggestion:updated': (s) => apply(fromSuggestion(s)),
        'suggestion:vote': (vote) => {
          const current = counts.get(vote.suggestionId);
          if (current && vote.version > current.version + 1) {
            refetch(vote.suggestionId).catch(this.#report);
          }
          apply(vote);
        },
        // The most recent suggestions' counts at the first subscription; after a reconnect and on every poll, what
        // was created or voted on meanwhile.
        catchUp: refetchKnown,
      });
      return unsubscribe;
    }, true);
  }

  /**
   * Starts again after `unauthorized` (with the token `getToken` gives now) or after close(); otherwise the client is
   * at it already, and saying `connecting` over a live socket (or a second poll loop) would be wrong.
   */
  reconnect(): void {
    if (!this.#halted) return;
    if (this.#stateValue === 'unauthorized') {
      // The refused token and its renewal are done with: the handshake and REST (a queued send) share the new one.
      this.#renewal = undefined;
      this.#token = undefined;
      this.#readFirstToken();
    }
    this.#closed = false;
    this.#renewIn(renewalAt(this.#token) - Date.now());
    this.#authRetried = false;
    this.#tokenReason = 'connect';
    this.#setState('connecting');
    this.#socket.connect();
    this.#armFallback();
  }

  /**
   * Closes the socket and stops polling and every stream's catch-up and retries (nothing keeps a Node process alive);
   * queued sends are rejected. `reconnect()` starts again, and open streams catch up once resubscribed.
   */
  close(): void {
    this.#closed = true;
    this.#clearTimers();
    // The events still waiting leave now, to be refused by the closed socket rather than wait forever.
    clearTimeout(this.#paceTimer);
    this.#paceTimer = undefined;
    this.#pace();
    this.#readRetries.forEach(clearTimeout);
    this.#readRetries.clear();
    this.#socket.disconnect();
    this.#pump();
    this.#setState('offline');
  }

  // ---- connection ----

  /** Closed, or refused (`unauthorized`): nothing is asked of the server until `reconnect()`. */
  get #halted(): boolean {
    return this.#closed || this.#stateValue === 'unauthorized';
  }

  /**
   * A new token after REST answered 401 to `stale`. The requests refused together (the streams of one poll, a send)
   * share one `getToken({reason: 'rejected'})`: a renewal of the same stale token asked within a few seconds is reused,
   * whether it is still in flight or done. Undefined when the app gives none.
   */
  #renewOnce(stale: string | undefined): Promise<string | undefined> {
    const recent = this.#renewal;
    if (recent && recent[0] === stale && Date.now() - recent[1] < RENEWAL_REUSE_MS) return recent[2];
    const token = this.#readToken('rejected', stale).catch(() => undefined);
    this.#renewal = [stale, Date.now(), token];
    return token;
  }

  /**
   * The app's token (`getToken({reason})`), one read at a time: a read asked while another is under way waits for it
   * and takes its token when that one replaced `stale` (the token the asker holds), rather than asking beside it. So
   * the first handshake and early REST share the first read, and a 401 met while a renewal is under way (a poll sent
   * before the token's end, answered after) takes the renewed token: two refreshes at once would cost an app with a
   * rotating refresh token its session.
   */
  #readToken(reason: TokenRequest['reason'], stale = this.#token): Promise<string> {
    return (this.#reading = Promise.allSettled([this.#reading]).then(async () => {
      if (this.#token && this.#token !== stale) return this.#token;
      const token = await this.options.getToken({ reason });
      const { iat = 0, exp = 0, role, sub } = claimsOf(token);
      // A token just renewed that looks due already (the client's clock ahead): three quarters of its life on.
      if (token !== this.#token)
        this.#renewIn(
          Math.max(renewalAt(token), reason === 'connect' ? 0 : Date.now() + (exp - iat) * 750) - Date.now(),
        );
      this.#token = token;
      // The user id of a user or admin token.
      this.#userIdValue ??= role === 'user' || role === 'admin' ? sub : undefined;
      this.#tokenRead();
      return token;
    }));
  }

  /** The first token read (at creation, or reconnect() after `unauthorized`): the first handshake and REST take it. */
  #readFirstToken(): void {
    this.#readToken('connect').catch(this.#report);
  }

  /**
   * Three quarters into the token's life, or at a disconnect past that point, the token is renewed here (#renew):
   * without a socket (reconnecting, polling, offline) no `auth:expiring` comes, and with one its single notice may
   * fail. Not after TOKEN_EXPIRED (the reconnect asks with `expired`), nor once closed or `unauthorized`.
   */
  #renewIfDue(at = renewalAt(this.#token)): void {
    // A timer that fired before the clock says it is due (Node fires up to a millisecond early; a clock set back) is
    // set again, or the renewal would never come.
    if (!this.#expired && !this.#halted)
      if (Date.now() >= at) this.#renew();
      else this.#renewIn(at - Date.now());
  }

  /**
   * A fresh token (`getToken({reason: 'expiring'})`), sent with `auth:refresh` on a live socket. One that fails is
   * asked again in a quarter of the time left (at most 30 s, at least 1 s), while the token lasts and none came since:
   * asked then whatever its age (`auth:expiring` may have asked before three quarters of its life, which #renewIfDue
   * waits for, and the token then ran out with no renewal left planned).
   */
  #renew(): void {
    const stale = this.#token;
    this.#readToken('expiring')
      // On a live socket, sent with `auth:refresh` before the current one ends.
      .then<unknown>((token) => this.#socket.connected && this.request('auth:refresh', { token }))
      .catch((err) => {
        this.#report(err);
        const left = (claimsOf(stale ?? '').exp ?? 0) * 1000 - Date.now();
        if (this.#token === stale && left > 0) this.#renewIn(Math.min(READ_RETRY_MAX_MS, left / 4), 0);
      });
  }

  /** #renewIfDue(`at`) in `ms` (none when NaN: a token without dates), in place of the one planned. */
  #renewIn(ms: number, at?: number): void {
    clearTimeout(this.#renewTimer);
    if (ms !== ms) return;
    this.#renewTimer = setTimeout(() => this.#renewIfDue(at), Math.min(Math.max(ms, 1000), 2 ** 31 - 1));
    (this.#renewTimer as { unref?: () => void }).unref?.();
  }

  /** Runs `start` once the first token was read (own-channel subscriptions need the user id); undoable before. */
  #afterToken(start: () => () => void): () => void {
    let stop: (() => void) | undefined;
    let cancelled = false;
    void this.#ready.then(() => {
      if (cancelled) return;
      try {
        stop = start();
      } catch (err) {
        this.#report(err);
      }
    });
    return () => {
      cancelled = true;
      stop?.();
    };
  }

  /** The user's own channel; #readToken took the user id from the first user or admin token read. */
  #ownChannel(): string {
    if (!this.#userIdValue) throw new Error('Not a user token');
    return channels.user(this.#userIdValue);
  }

  #setState(state: ConnectionState): void {
    if (this.#stateValue === state) return;
    this.#stateValue = state;
    this.connection.next(state);
  }

  #listen(): void {
    const socket = this.#socket;
    socket.on('connect', () => {
      this.#retries = 0;
      this.#authRetried = false;
      this.#expired = false;
      this.#clearTimers();
      this.#setState('online');
      for (const entry of this.#entries.values()) this.#sendSubscribe(entry);
      this.#pump();
    });
    socket.on('disconnect', (reason) => {
      for (const entry of this.#entries.values()) entry.active = false;
      if (this.#halted) return;
      this.#renewIfDue();
      this.#setState('reconnecting');
      if (reason === 'io server disconnect') {
        // The server closed it (token expired, revoked, too many errors): Socket.IO does not retry on its own.
        this.#tokenReason = this.#expired ? 'expired' : 'connect';
        // The token asked for after TOKEN_EXPIRED is the one new token: if it is refused too, `unauthorized`.
        if (this.#expired) this.#authRetried = true;
        this.#retryLater();
      }
      this.#armFallback();
    });
    socket.on('connect_error', (error: Error) => {
      if (this.#closed) return;
      if (error.message === ConnectErrors.AUTH_FAILED || error.message === ConnectErrors.AUTH_REQUIRED) {
        if (!this.#authRetried) {
          this.#authRetried = true;
          this.#tokenReason = 'rejected';
          socket.connect();
          return;
        }
        this.#refused();
        return;
      }
      // A refusal by the server's middleware (e.g. too many connections) is not retried by Socket.IO itself.
      if (!socket.active) this.#retryLater();
    });
    socket.on('error', (payload: ServerEvents['error']) => {
      if (payload?.code === ErrorCodes.TOKEN_EXPIRED) this.#expired = true;
      this.#report(new AckFailure(payload));
    });
    socket.on('auth:expiring', () => this.#renew());
    socket.onAny((event: string, payload: unknown) => this.#dispatch(event as ServerEventName, payload));
  }

  /**
   * A reconnection Socket.IO does not make itself (the server refused the handshake, or closed the socket): after
   * the same backoff as Socket.IO's, doubling from `reconnectDelayMs` up to `reconnectDelayMaxMs` with jitter, and
   * back to the start once a connection holds.
   */
  #retryLater(): void {
    if (this.#reconnectTimer) return;
    const base = this.options.reconnectDelayMs ?? 500;
    const delay = Math.min(this.options.reconnectDelayMaxMs ?? 5000, base * 2 ** this.#retries);
    this.#retries = Math.min(this.#retries + 1, 16);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#closed && !this.#socket.connected) this.#socket.connect();
    }, jitter(delay));
  }

  #clearTimers(): void {
    [this.#fallbackTimer, this.#reconnectTimer, this.#pumpTimer].forEach(clearTimeout);
    this.#fallbackTimer = this.#reconnectTimer = this.#pumpTimer = undefined;
    this.#loop++;
  }

  // ---- channels ----

  /**
   * Subscribes `entry` on the current socket. A passing refusal (SERVICE_UNAVAILABLE while the database is out, a
   * timeout, RATE_LIMITED) is asked again with the reads' backoff (1 s doubling to 30 s, each one reported), for as
   * long as the socket stays up and the channel is wanted; a reconnect subscribes anew anyway.
   */
  #sendSubscribe(entry: ChannelEntry): void {
    const wanted = () => this.#entries.get(entry.channel) === entry;
    this.#retryingRead(async () => {
      if (wanted() && this.#socket.connected)
        // Its snapshot as the answer is read, before the channel's events read with it (#ask).
        await this.#ask('subscribe', { channel: entry.channel }, (data) => {
          // Undone while it was asked for: left, or the server goes on sending its events and counting it among the
          // socket's channels (WS_MAX_CHANNELS_PER_SOCKET); unless it was asked for again meanwhile.
          if (!wanted())
            return void (
              this.#entries.has(entry.channel) ||
              this.request('unsubscribe', { channel: entry.channel }).catch(() => undefined)
            );
          entry.active = true;
          entry.snapshot = data.snapshot;
          for (const h of [...entry.handlers]) {
            if (data.snapshot !== undefined) h.snapshot?.(data.snapshot as never);
            this.#inPlace(h);
          }
        }).catch((failure: unknown) => {
          if (!(failure instanceof AckFailure) || !PERMANENT_SUBSCRIBE_ERRORS.has(failure.code)) {
            // Cut off with the socket: the reconnect subscribes again, nothing to report.
            if (this.#socket.connected) throw failure;
            return;
          }
          if (wanted()) this.#entries.delete(entry.channel);
          let handled = false;
          for (const h of entry.handlers) {
            if (h.error) {
              handled = true;
              h.error(failure.error);
            }
          }
          if (!handled) this.#report(failure);
        });
    }).run();
  }

  /** A handler's subscription is in place: `subscribed`, then `catchUp`. */
  #inPlace(h: ChannelHandlers): void {
    h.subscribed?.();
    if (h.catchUp) (async () => h.catchUp!())().catch(this.#report);
  }

  #dispatch(event: ServerEventName, payload: unknown): void {
    if (event === 'unsubscribed') {
      const { channel, reason } = payload as ServerEvents['unsubscribed'];
      const entry = this.#entries.get(channel);
      // Without a reason it answers our own unsubscribe; with one, the server ended the subscription.
      if (!entry || reason === undefined) return;
      this.#entries.delete(channel);
      for (const h of entry.handlers) h.unsubscribed?.({ reason });
      return;
    }
    if (event === 'subscribed') return;
    // An event of no channel (null) finds no entry.
    const entry = this.#entries.get(channelOf(event, payload as never, { userId: this.#userIdValue }) as string);
    if (!entry) return;
    for (const h of [...entry.handlers]) (h as AnyHandlers)[event]?.(payload as never);
  }

  /** In `polling`, what a subscription without a gapless stream reads over REST: its snapshot. */
  #snapshotPoller(entry: ChannelEntry, h: ChannelHandlers): (() => Promise<void>) | undefined {
    const parsed = entry.parsed;
    if (!parsed || (!h.snapshot && !(h as AnyHandlers).stats_update)) return undefined;
    // The REST twin of each snapshot, one table rather than a typed call each (the core's size budget); the path's one
    // parameter is the channel's id, the parsed channel's second value (`{kind, resourceId}`, `{kind, jobId}`, ...).
    const path = (
      {
        dashboard: '/api/v1/dashboard/stats',
        resource: '/api/v1/resources/{id}',
        job: '/api/v1/jobs/{id}',
        kioskSession: '/api/v1/kiosk/sessions/{id}',
      } as Record<string, string>
    )[parsed.kind] as '/api/v1/resources/{id}' | undefined;
    if (!path) return undefined;
    return async () => {
      // Not once the subscription is over (the server ended it: its entry went), nor with a kiosk's or a worker's
      // token: the REST twins are a user's reads (a kiosk's session is an admin's there), and their refusal would end a
      // subscription the socket keeps.
      if (this.#userIdValue && this.#entries.get(entry.channel) === entry)
        try {
          const snapshot = unwrap(await this.rest.GET(path, { params: { path: { id: Object.values(parsed)[1] } } }));
          if (this.#socket.connected) return;
          h.snapshot?.(snapshot as never);
          if (parsed.kind === 'dashboard') (h as AnyHandlers).stats_update?.(snapshot as never);
        } catch (err) {
          // In polling, what the channel would have said: access withdrawn ends the subscription (the server would
          // have removed the socket), and a deleted resource is announced as deleted.
          if (this.#socket.connected || !(err instanceof RestError)) throw err;
          if (err.status === 403) this.#dispatch('unsubscribed', { channel: entry.channel, reason: err.code });
          else if (err.status === 404 && parsed.kind === 'resource') {
            (h as AnyHandlers)['resource:deleted']?.({ resourceId: parsed.resourceId } as never);
          } else throw err;
        }
    };
  }

  #seqStream<T extends SeqItem, E extends ServerEventName>(
    channel: () => string,
    event: E,
    source: SeqSource<T>,
    options: SeqStreamOptions,
  ): Stream<T> {
    return new Stream<T>((stream) =>
      this.#afterToken(() => {
        const end = (): void => {
          this.#pollers.delete(poll);
          sequencer.stop();
          unsubscribe();
        };
        const sequencer = new SeqSequencer<T>(
          source,
          (item) => stream.next(item),
          { gapWaitMs: this.options.gapWaitMs, ...options },
          // A read refused with 403 (not a member, or no longer) or 404 (no such conversation or job: a stale id) ends
          // the stream with it: nothing more can come. (403 and 404 are the statuses whose remainder by 403 is under 2,
          // written so for the core's size budget.)
          (error) => ((error as RestError).status % 403 < 2 ? (end(), stream.error(error)) : this.#report(error)),
          // Nothing is read or retried once closed or refused (`unauthorized`): a reconnect() resumes it.
          () => !this.#halted,
        );
        const poll = () => sequencer.poll();
        const catchUp = () => void sequencer.catchUp();
        const unsubscribe = this.subscribe(channel(), {
          [event]: (item: T) => sequencer.push(item),
          subscribed: catchUp,
          // Ended by the server (the user left, or was removed): a last read delivers what came before and, refused,
          // ends the stream.
          unsubscribed: catchUp,
        } as ChannelHandlers);
        this.#pollers.add(poll);
        if (this.#socket.connected) void sequencer.start();
        else catchUp();
        return end;
      }),
    );
  }

  // ---- HTTP fallback ----

  /** A poll in `ms`: the first one `fallbackAfterMs` after the socket went, then the poll loop's next tick. */
  #armFallback(ms = this.options.fallbackAfterMs ?? 8000): void {
    if (this.#fallbackTimer || this.#closed) return;
    this.#fallbackTimer = setTimeout(() => {
      this.#fallbackTimer = undefined;
      this.#poll();
    }, ms);
  }

  #poll(): void {
    if (this.#socket.connected || this.#halted) return;
    if (this.#stateValue !== 'offline') this.#setState('polling');
    // The streams, counts and lists every time; the subscriptions' snapshots (a screen of live cards may hold hundreds)
    // 20 a poll, the least recently read first, so that each is read in turn and a client that lost its socket asks
    // for 20 snapshots every `pollIntervalMs`, not hundreds.
    const turn = [...this.#snapshots].slice(0, SNAPSHOTS_PER_POLL);
    for (const read of turn) {
      this.#snapshots.delete(read);
      this.#snapshots.add(read);
    }
    // Whether the server answers is read from the client's own reads (a probe when there are none), not from the
    // channels' catch-ups, which may keep their failures to themselves; a 401 from any of them counts.
    const own = [...this.#pollers, ...turn];
    if (own.length === 0) own.push(async () => void unwrap(await this.rest.GET('/api/v1/health')));
    // A poll outlived by its loop (a socket came and went meanwhile, close(), `unauthorized`: each clears the timers)
    // ends here: going on would say `polling` before `fallbackAfterMs` and run a second loop beside the next one.
    const loop = this.#loop;
    void Promise.allSettled([...own, ...this.#catchUps].map((task) => task())).then((results) => {
      if (loop !== this.#loop) return;
      const refused = results.some((r) => r.status === 'rejected' && (r.reason as RestError).status === 401);
      if (refused) {
        // REST already asked once for a new token (rest.ts) and it was refused too.
        this.#refused();
        return;
      }
      // Unreachable: each of the client's own reads failed with no answer from the server (its own reads are REST's).
      const unreachable = results
        .slice(0, own.length)
        .every((r) => r.status === 'rejected' && !(r.reason instanceof RestError));
      this.#setState(unreachable ? 'offline' : 'polling');
      this.#pump();
      this.#armFallback(this.options.pollIntervalMs ?? 5000);
    });
  }

  /**
   * The token was refused after its one renewal (by REST, rest.ts, or the handshake): `unauthorized` until
   * `reconnect()`. (The socket's disconnect() after a refused handshake changes nothing; it is the same call for both.)
   */
  #refused(): void {
    this.#clearTimers();
    this.#socket.disconnect();
    this.#setState('unauthorized');
  }

  // ---- sending ----

  /**
   * Queues a message. Its default `clientId` is 128 random bits: getRandomValues, unlike randomUUID, is there on a page
   * served over plain HTTP (on a LAN, say).
   */
  #send(
    conversationId: string,
    body: string,
    clientId = crypto.getRandomValues(new Uint32Array(4)).join('-'),
  ): Promise<MessagePayload> {
    return new Promise<MessagePayload>((resolve, reject) => {
      this.#outbox.push({ conversationId, body, clientId, attempts: 0, inFlight: false, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Sends the head of the queue over the socket when it is up, over REST in `polling` / `offline`. One at a time, so
   * messages are stored in the order they were sent and a burst never trips the server's rate limit.
   */
  #pump(): void {
    // Closed: what is queued is rejected (close() comes here), and so is a send made later, which nothing would send.
    if (this.#closed) return void this.#outbox.splice(0).map((item) => item.reject(new Error('Client closed')));
    const item = this.#outbox[0];
    if (!item || item.inFlight) return;
    const viaSocket = this.#socket.connected;
    const viaRest = !viaSocket && (this.#stateValue === 'polling' || this.#stateValue === 'offline');
    if (!viaSocket && !viaRest) return;
    item.inFlight = true;
    item.attempts += 1;
    const attempt = viaSocket
      ? this.#sendOnSocket(item)
      : this.rest
          .POST('/api/v1/conversations/{id}/messages', {
            params: { path: { id: item.conversationId } },
            body: { body: item.body, clientId: item.clientId },
          })
          .then((result) => unwrap(result) as MessagePayload);
    // An attempt close() cut short (its send rejected, the queue emptied) takes nothing off what was queued since.
    const done = () => this.#outbox[0] === item && this.#outbox.shift();
    attempt.then(
      (message) => {
        done();
        item.resolve(message);
        this.#pump();
      },
      (error: unknown) => {
        item.inFlight = false;
        if (error instanceof RestError && error.status === 401) {
          // The token was refused, its one renewal too (rest.ts): as over the socket, the send stays queued and the
          // client goes `unauthorized`; `reconnect()` with a new token sends it.
          if (!this.#halted && !this.#socket.connected) this.#refused();
          if (this.#socket.connected) this.#schedulePump(250);
          return;
        }
        const permanent =
          (error instanceof AckFailure && !RETRYABLE_CODES.has(error.code)) ||
          (error instanceof RestError && error.status < 500 && error.status !== 408 && error.status !== 429);
        if (permanent) {
          done();
          item.reject(error);
          this.#pump();
          return;
        }
        this.#schedulePump(Math.min(250 * 2 ** (item.attempts - 1), 5000));
      },
    );
  }

  /** One attempt over the socket; a disconnect fails it at once rather than at the ack timeout. */
  #sendOnSocket(item: Outgoing): Promise<MessagePayload> {
    return new Promise<MessagePayload>((resolve, reject) => {
      const onDisconnect = () => reject(new AckFailure({ code: 'TIMEOUT', message: 'Disconnected' }));
      this.#socket.once('disconnect', onDisconnect);
      this.request('message:send', { conversationId: item.conversationId, body: item.body, clientId: item.clientId })
        .then(resolve, reject)
        .finally(() => this.#socket.off('disconnect', onDisconnect));
    });
  }

  #schedulePump(ms: number): void {
    if (this.#pumpTimer) return;
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = undefined;
      this.#pump();
    }, jitter(ms));
  }

  /**
   * A client event while the socket is up, else (and when its answer does not come) its REST twin: in `polling` a
   * socket request waits in Socket.IO's buffer and is dropped at its timeout, never sent. A refusal is thrown as it is.
   */
  async #socketOrRest<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    rest: () => Promise<{ data?: unknown; error?: unknown; response: Response }>,
  ): Promise<ClientEventResult<E>> {
    // Closed or refused: nothing more is asked of the server (nor of the app for a token) until reconnect(). In
    // `unauthorized` the refusal is the one the server would give (a 401), where sends stay queued.
    if (this.#halted)
      throw this.#closed ? new Error('Client closed') : new RestError(401, ErrorCodes.UNAUTHORIZED, 'Unauthorized');
    if (this.#socket.connected) {
      try {
        return await this.request(event, payload);
      } catch (err) {
        if ((err as AckFailure).code !== 'TIMEOUT') throw err;
      }
    }
    return unwrap(await rest()) as ClientEventResult<E>;
  }

  /** A function of its own, so that it is passed as it is (`.catch(this.#report)`). */
  readonly #report = (error: unknown): void => this.options.onError?.(error);
}

/** Creates a client and starts connecting. */
export function createClient(options: ClientOptions): RealtimeClient {
  return new RealtimeClient(options);
}
