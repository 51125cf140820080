// Joining and leaving channels, and taking sockets out of one when a permission is withdrawn (on every instance).
import { Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { AppConfig } from '../config/app-config.js';
import { RedisService } from '../redis/redis.service.js';
import { ChannelRegistry, type ResolvedChannel, StreamSnapshot } from './channel-registry.js';
import { holdBackUpTo, holdUntilAnswered, releaseAfterAnswer } from './ordered-adapter.js';
import { isServerOwnedRoom } from './principal-rooms.js';
import { RealtimeServer } from './realtime.server.js';
import { ADAPTER_CONNECTIONS } from './redis-io.adapter.js';
import type { ServerEvents } from './client-events.js';

export interface SocketData {
  principal: Principal;
  /** The client's address under TRUST_PROXY (the peer's without trusted proxies). */
  clientIp?: string;
}

const NO_ROOMS: ReadonlySet<string> = new Set();

const noop = (): void => undefined;

/** The ack of a subscribe: the channel's canonical name, and its snapshot where it has one. */
export type Subscribed = { channel: string; snapshot?: unknown };

@Injectable()
export class ChannelService {
  private readonly logger = new Logger('ChannelService');
  private readonly roomsByPrefix = new Map<string, Set<string>>();

  private readonly maxChannels: number;
  /** Each socket's channels being subscribed (not yet joined or answered): they count towards its limit. */
  private readonly joining = new WeakMap<Socket, Set<string>>();
  /** Each socket's last subscribe or unsubscribe still running, by channel, settled (see `inOrder`). */
  private readonly running = new WeakMap<Socket, Map<string, Promise<void>>>();

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly realtime: RealtimeServer,
    private readonly redis: RedisService,
    config: AppConfig,
  ) {
    this.maxChannels = config.limits.channelsPerSocket;
  }

  /**
   * Checks the principal may join, joins, then checks again and reads the snapshot: checked before joining, so that
   * no event reaches a socket that may not have it; and again once joined, so that the snapshot holds whatever was
   * published between the first check and the join (which this socket, not yet in the room, did not receive), and a
   * permission withdrawn meanwhile (its eviction may have swept the room before the socket was in it) leaves it out.
   * What the room publishes from the join until the answer is sent waits for it (subscription-holds.ts): the client
   * applies events to the snapshot, and a refusal by the second check drops them.
   */
  async subscribe(socket: Socket, name: unknown): Promise<Subscribed> {
    const resolved = this.registry.resolve(name);
    return this.inOrder(socket, resolved.name, () => this.join(socket, resolved));
  }

  private async join(socket: Socket, { name: channel, definition, params }: ResolvedChannel): Promise<Subscribed> {
    const principal = (socket.data as SocketData).principal;
    let joining = this.joining.get(socket);
    if (!joining) this.joining.set(socket, (joining = new Set()));
    this.reservePlace(socket, joining, channel);
    let snapshot: unknown;
    try {
      await definition.authorize(principal, params);
      // A socket that disconnected while it was checked has left its rooms for good: joined now, it would stay in this
      // one (its id in the adapter's rooms, the room kept) with no disconnect left to take it out. Nobody awaits the
      // answer.
      if (!socket.connected) return { channel };
      const adapter = socket.nsp.adapter;
      // Every channel's, not only one with a snapshot: until the second check passes, what the room publishes is not
      // yet this socket's (a permission withdrawn after the first check, whose eviction swept the room before the
      // socket was in it, would otherwise let it hear the room meanwhile); it is dropped if that check refuses.
      holdUntilAnswered(adapter, channel, socket.id);
      try {
        await socket.join(channel);
        if (definition.snapshot) snapshot = await definition.snapshot(principal, params);
        else await definition.authorize(principal, params);
      } catch (err) {
        await socket.leave(channel);
        releaseAfterAnswer(adapter, channel, socket.id, false);
        throw err;
      }
      if (snapshot instanceof StreamSnapshot) {
        holdBackUpTo(adapter, channel, socket.id, snapshot.position);
        snapshot = snapshot.value;
      }
      // Nest sends the answer in the microtasks that follow this one's return; what waited goes after it.
      setImmediate(() => releaseAfterAnswer(adapter, channel, socket.id, true));
    } finally {
      joining.delete(channel);
    }
    socket.emit('subscribed', { channel } satisfies ServerEvents['subscribed']);
    return snapshot === undefined ? { channel } : { channel, snapshot };
  }

  /**
   * Counts `channel` among the socket's channels while it is subscribed, or refuses it with LIMIT_EXCEEDED when the
   * socket is in WS_MAX_CHANNELS_PER_SOCKET already, those being subscribed included (so that a burst of subscribes
   * sent at once counts as they arrive). A channel the socket is in, or is joining, takes no new place.
   */
  private reservePlace(socket: Socket, joining: Set<string>, channel: string): void {
    if (socket.rooms.has(channel) || joining.has(channel)) return;
    let held = joining.size;
    // The socket's own room (its id) and the server-owned ones are not channels.
    for (const room of socket.rooms) {
      if (room !== socket.id && !isServerOwnedRoom(room) && !joining.has(room)) held += 1;
    }
    if (held >= this.maxChannels) {
      throw DomainException.limitExceeded(
        `A socket is in at most ${this.maxChannels} channels at once (WS_MAX_CHANNELS_PER_SOCKET): unsubscribe one first`,
        { limit: this.maxChannels },
      );
    }
    joining.add(channel);
  }

  async unsubscribe(socket: Socket, name: unknown): Promise<{ channel: string }> {
    const { name: channel } = this.registry.resolve(name);
    return this.inOrder(socket, channel, async () => {
      await socket.leave(channel);
      socket.emit('unsubscribed', { channel } satisfies ServerEvents['unsubscribed']);
      return { channel };
    });
  }

  /**
   * Runs a socket's subscribes and unsubscribes of one channel one after another, in the order it sent them (those of
   * other channels side by side; with nothing before it, `run` starts now, in this tick, and a subscribe takes its place
   * as it arrives). An unsubscribe sent while a subscribe was still checked was answered first, and the subscribe then
   * joined: the socket stayed in a channel it had left. Two subscribes (a page adding a second handler asks for a fresh
   * snapshot) were answered in the order their snapshots were read to the end: the client took the older one last, and
   * the events between the two, held back as counted by the newer, were lost.
   */
  private inOrder<T>(socket: Socket, channel: string, run: () => Promise<T>): Promise<T> {
    let byChannel = this.running.get(socket);
    if (!byChannel) this.running.set(socket, (byChannel = new Map()));
    const before = byChannel.get(channel);
    const result = before ? before.then(run) : run();
    const settled = result.then(noop, noop);
    byChannel.set(channel, settled);
    void settled.then(() => {
      if (byChannel.get(channel) === settled) byChannel.delete(channel);
    });
    return result;
  }

  /**
   * Removes from `channel`, on every instance, each socket whose principal may no longer join it, telling it
   * `unsubscribed {channel, reason: "FORBIDDEN"}`. Await it before publishing the change that withdrew access.
   * `stillAllowed` defaults to the channel's own rule.
   */
  async evictUnauthorized(
    channel: string,
    stillAllowed?: (principal: Principal) => Promise<boolean> | boolean,
  ): Promise<number> {
    const resolved = this.registry.resolve(channel);
    const check = stillAllowed ?? ((principal: Principal) => this.registry.mayJoin(principal, resolved));
    const sockets = await this.realtime.server.in(resolved.name).fetchSockets();
    let removed = 0;
    for (const socket of sockets) {
      const principal = (socket.data as Partial<SocketData>).principal;
      if (principal && (await check(principal))) continue;
      socket.leave(resolved.name);
      socket.emit('unsubscribed', {
        channel: resolved.name,
        reason: 'FORBIDDEN',
      } satisfies ServerEvents['unsubscribed']);
      removed += 1;
    }
    if (removed > 0) this.logger.debug({ channel: resolved.name, removed }, 'Withdrew subscribers');
    return removed;
  }

  /**
   * Re-checks, on every instance, the channels starting with `prefix` that the sockets of `room` (a principal's
   * server-owned room) are in, and removes them from those they may no longer join, with `unsubscribed {channel,
   * reason: "FORBIDDEN"}`. Each channel is checked once.
   */
  async reviewSubscriptions(room: string, prefix: string): Promise<number> {
    const sockets = await this.realtime.server.in(room).fetchSockets();
    const verdicts = new Map<string, Promise<boolean>>();
    let removed = 0;
    for (const socket of sockets) {
      const principal = (socket.data as Partial<SocketData>).principal;
      if (!principal) continue;
      for (const channel of socket.rooms) {
        if (!channel.startsWith(prefix)) continue;
        const key = `${principal.role}:${principal.id}:${channel}`;
        if (!verdicts.has(key)) verdicts.set(key, this.registry.mayJoin(principal, this.registry.resolve(channel)));
        if (await verdicts.get(key)) continue;
        socket.leave(channel);
        socket.emit('unsubscribed', { channel, reason: 'FORBIDDEN' } satisfies ServerEvents['unsubscribed']);
        removed += 1;
      }
    }
    return removed;
  }

  /** Takes the sockets of rooms `from` (e.g. a user's `user:` room) out of `channel`, on every instance. */
  async removeRoomsFrom(channel: string, from: string[], reason?: string): Promise<void> {
    const sockets = await this.realtime.server.in(from).fetchSockets();
    for (const socket of sockets) {
      if (!socket.rooms.has(channel)) continue;
      socket.leave(channel);
      socket.emit('unsubscribed', (reason ? { channel, reason } : { channel }) satisfies ServerEvents['unsubscribed']);
    }
  }

  /** The sockets of `rooms` (e.g. server-owned principal rooms) on every instance leave `channel`. */
  leave(rooms: string | string[], channel: string): void {
    if (this.realtime.ready) this.realtime.server.in(rooms).socketsLeave(channel);
  }

  /** The principals of the sockets in any of `rooms`, on every instance (one entry per socket). */
  async principalsIn(rooms: string | string[]): Promise<Principal[]> {
    const sockets = await this.realtime.server.in(rooms).fetchSockets();
    return sockets.flatMap((socket) => (socket.data as Partial<SocketData>).principal ?? []);
  }

  /** Whether a socket of this instance is in `room` (no cluster round trip). */
  hasLocalMembers(room: string): boolean {
    return this.realtime.ready && (this.realtime.server.sockets.adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  /**
   * This instance's rooms whose name starts with `prefix` (each holds one of its sockets; no cluster round trip). The
   * first call for a prefix scans the rooms once; the adapter's room events keep the set current after it, so a caller
   * that asks several times a second costs nothing per call (a scan of 40,000 rooms takes about a millisecond).
   */
  localRooms(prefix: string): ReadonlySet<string> {
    if (!this.realtime.ready) return NO_ROOMS;
    let rooms = this.roomsByPrefix.get(prefix);
    if (!rooms) {
      const found = new Set<string>();
      const adapter = this.realtime.server.sockets.adapter;
      adapter.on('create-room', (room: string) => {
        if (room.startsWith(prefix)) found.add(room);
      });
      adapter.on('delete-room', (room: string) => found.delete(room));
      for (const [room, members] of adapter.rooms) {
        if (members.size > 0 && room.startsWith(prefix)) found.add(room);
      }
      this.roomsByPrefix.set(prefix, found);
      rooms = found;
    }
    return rooms;
  }

  /** Whether other instances may run beside this one (Redis configured); without Redis it is alone. */
  get clustered(): boolean {
    return this.redis.enabled;
  }

  /**
   * Whether what this instance publishes reaches the other instances' sockets: always with no Redis (one instance),
   * else while both of the adapter's connections are up. When not, only this instance's sockets hear it.
   */
  get reachesOtherInstances(): boolean {
    return !this.redis.enabled || ADAPTER_CONNECTIONS.every((role) => this.redis.connected(role));
  }

  /** Whether this instance's socket server is up (events published before are dropped). */
  get ready(): boolean {
    return this.realtime.ready;
  }
}
