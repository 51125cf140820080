import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { DomainException } from '../../src/common/domain.exception.js';
import { ChannelRegistry } from '../../src/realtime/channel-registry.js';
import { ChannelService } from '../../src/realtime/channel.service.js';
import { RealtimePublisher } from '../../src/realtime/realtime.publisher.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, waitFor } from '../helpers/sockets.js';

describeE2E('Channels', () => {
  let sut: TestApp;
  let user: TestUser;
  let other: TestUser;

  /**
   * Publishes `presence` to `channel`, then a marker to the socket's own room: the socket receives both in
   * that order when it is in the channel, and only the marker when it is not.
   */
  async function receives(socket: Socket, channel: string): Promise<boolean> {
    const seen = collect<{ userId: string }>(socket, 'presence');
    const marker = randomUUID();
    const publisher = sut.app.get(RealtimePublisher);
    publisher.publish(channel, 'presence', { userId: 'probe', online: true, lastSeenAt: null });
    publisher.publish(socket.id!, 'presence', { userId: marker, online: true, lastSeenAt: null });
    await waitFor(socket, 'presence', (p: { userId: string }) => p.userId === marker);
    socket.off('presence');
    return seen.some((p) => p.userId === 'probe');
  }

  beforeAll(async () => {
    sut = await startApp();
    user = await registerUser(sut, 'Channel User');
    other = await registerUser(sut, 'Other User');
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  describe('shortcuts', () => {
    it('should answer subscribe:resource exactly like subscribe on resource:updates:{id}', async () => {
      const socket = await connect(sut.url, user.token);
      const id = randomUUID();
      const shortcut = await emitAck(socket, 'subscribe:resource', { resourceId: id });
      const full = await emitAck(socket, 'subscribe', { channel: `resource:updates:${id}` });
      expect(shortcut).toEqual(full);
      expect(shortcut.ok ? shortcut.data.channel : shortcut.error.code).toMatch(
        new RegExp(`^(resource:updates:${id}|UNKNOWN_CHANNEL|NOT_FOUND)$`),
      );
    });

    it('should answer subscribe:job exactly like subscribe on job:{id}', async () => {
      const socket = await connect(sut.url, user.token);
      const id = randomUUID();
      const shortcut = await emitAck(socket, 'subscribe:job', { jobId: id });
      const full = await emitAck(socket, 'subscribe', { channel: `job:${id}` });
      expect(shortcut).toEqual(full);
      expect(shortcut.ok ? shortcut.data.channel : shortcut.error.code).toMatch(
        new RegExp(`^(job:${id}|UNKNOWN_CHANNEL|NOT_FOUND)$`),
      );
    });

    it('should answer subscribe:suggestions exactly like subscribe on suggestions:votes', async () => {
      const socket = await connect(sut.url, user.token);
      const shortcut = await emitAck(socket, 'subscribe:suggestions', {});
      const full = await emitAck(socket, 'subscribe', { channel: 'suggestions:votes' });
      expect(shortcut).toEqual(full);
      expect(shortcut.ok ? shortcut.data.channel : shortcut.error.code).toMatch(
        /^(suggestions:votes|UNKNOWN_CHANNEL)$/,
      );
    });

    it('should accept subscribe:suggestions without a payload', async () => {
      const socket = await connect(sut.url, user.token);
      const bare = await emitAck(socket, 'subscribe:suggestions');
      const full = await emitAck(socket, 'subscribe', { channel: 'suggestions:votes' });
      expect(bare).toEqual(full);
    });

    it('should refuse a shortcut with a malformed id with VALIDATION_FAILED and field details', async () => {
      const socket = await connect(sut.url, user.token);
      const ack = await emitAck(socket, 'subscribe:resource', { resourceId: 'not-a-uuid' });
      expect(ack).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'resourceId' })] },
      });
    });
  });

  describe('subscribe and unsubscribe', () => {
    it('should deliver events of a channel until the socket unsubscribes, then emit unsubscribed', async () => {
      const socket = await connect(sut.url, user.token);
      const channel = `user:${user.id}`;
      const subscribed = waitFor(socket, 'subscribed');
      expect(await emitAck(socket, 'subscribe', { channel })).toEqual({ ok: true, data: { channel } });
      expect(await subscribed).toEqual({ channel });
      expect(await receives(socket, channel)).toBe(true);

      const unsubscribed = waitFor(socket, 'unsubscribed');
      expect(await emitAck(socket, 'unsubscribe', { channel })).toEqual({ ok: true, data: { channel } });
      expect(await unsubscribed).toEqual({ channel });
      expect(await receives(socket, channel)).toBe(false);
      expect(socket.connected).toBe(true);
    });

    it('should answer unsubscribe from a channel the socket is not in, and refuse an unknown one', async () => {
      const socket = await connect(sut.url, user.token);
      const channel = `user:${other.id}`;
      const unsubscribed = waitFor(socket, 'unsubscribed');
      expect(await emitAck(socket, 'unsubscribe', { channel })).toEqual({ ok: true, data: { channel } });
      expect(await unsubscribed).toEqual({ channel });
      expect(await emitAck(socket, 'unsubscribe', { channel: 'nothing:here' })).toMatchObject({
        ok: false,
        error: { code: 'UNKNOWN_CHANNEL' },
      });
    });

    it('should not join a channel the socket was refused', async () => {
      const socket = await connect(sut.url, user.token);
      const subscribedEvents = collect(socket, 'subscribed');
      const error = waitFor(socket, 'error');
      const ack = await emitAck(socket, 'subscribe', { channel: `user:${other.id}` });
      expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
      expect(await error).toEqual({ code: 'FORBIDDEN', message: expect.any(String), event: 'subscribe' });
      expect(await receives(socket, `user:${other.id}`)).toBe(false);
      expect(subscribedEvents).toEqual([]);
    });

    it('should leave a channel unsubscribed while its subscribe was still being checked', async () => {
      // A channel whose first check the test holds: the socket sends unsubscribe meanwhile, and ends outside it.
      const id = randomUUID();
      const channel = `probe:unsubscribed:${id}`;
      let checkStarted!: () => void;
      const started = new Promise<void>((resolve) => (checkStarted = resolve));
      let finishCheck!: () => void;
      const finished = new Promise<void>((resolve) => (finishCheck = resolve));
      let checks = 0;
      sut.app.get(ChannelRegistry).register({
        pattern: 'probe:unsubscribed:{id}',
        authorize: async () => {
          checks += 1;
          if (checks === 1) {
            checkStarted();
            await finished;
          }
        },
      });
      const socket = await connect(sut.url, user.token);
      const subscribed = emitAck(socket, 'subscribe', { channel });
      await started;
      const unsubscribed = emitAck(socket, 'unsubscribe', { channel });
      // Answered once the server has read every event sent before it (a socket's events are read in order).
      await emitAck(socket, 'unsubscribe', { channel: `user:${other.id}` });
      finishCheck();
      expect(await subscribed).toEqual({ ok: true, data: { channel } });
      expect(await unsubscribed).toEqual({ ok: true, data: { channel } });
      expect(await receives(socket, channel)).toBe(false);
    });

    it('should answer two subscribes of one channel in the order sent, the later snapshot never the older', async () => {
      // A page subscribes a channel twice (a job's card and its log: a handler added asks for a fresh snapshot). The
      // first snapshot's read is slow, the second's quick: answered out of order, the client took the older snapshot
      // last, and the events between the two (held back as counted by the newer) were lost (a job's count came short).
      const channel = `probe:twice:${randomUUID()}`;
      let reads = 0;
      let firstReadStarted!: () => void;
      const started = new Promise<void>((resolve) => (firstReadStarted = resolve));
      let finishFirstRead!: () => void;
      const finished = new Promise<void>((resolve) => (finishFirstRead = resolve));
      sut.app.get(ChannelRegistry).register({
        pattern: 'probe:twice:{id}',
        authorize: async () => undefined,
        snapshot: async () => {
          const read = (reads += 1);
          if (read === 1) {
            firstReadStarted();
            await finished;
          }
          return { read };
        },
      });
      const socket = await connect(sut.url, user.token);
      const answered: number[] = [];
      const answer = async () => {
        const ack = await emitAck(socket, 'subscribe', { channel });
        answered.push(ack.ok ? (ack.data as { snapshot: { read: number } }).snapshot.read : -1);
      };
      const first = answer();
      await started;
      const second = answer();
      // Answered once the server has read every event sent before it (a socket's events are read in order).
      await emitAck(socket, 'unsubscribe', { channel: `user:${other.id}` });
      finishFirstRead();
      await Promise.all([first, second]);
      expect(answered).toEqual([1, 2]);
    });

    it('should join the own user room on connect, before any subscribe', async () => {
      const socket = await connect(sut.url, user.token);
      expect(await receives(socket, `user:${user.id}`)).toBe(true);
      const otherSocket = await connect(sut.url, other.token);
      expect(await receives(otherSocket, `user:${user.id}`)).toBe(false);
    });
  });

  describe('withdrawn permission', () => {
    it('should remove the sockets that may no longer join and tell them why', async () => {
      const socket = await connect(sut.url, user.token);
      const channel = `user:${user.id}`;
      const unsubscribed = waitFor(socket, 'unsubscribed');
      const removed = await sut.app.get(ChannelService).evictUnauthorized(channel, () => false);
      expect(removed).toBe(1);
      expect(await unsubscribed).toEqual({ channel, reason: 'FORBIDDEN' });
      expect(await receives(socket, channel)).toBe(false);
      expect(socket.connected).toBe(true);
    });

    it('should keep the sockets that still pass the channel rule', async () => {
      const socket = await connect(sut.url, user.token);
      const channel = `user:${user.id}`;
      const unsubscribed = collect(socket, 'unsubscribed');
      expect(await sut.app.get(ChannelService).evictUnauthorized(channel)).toBe(0);
      expect(await receives(socket, channel)).toBe(true);
      expect(unsubscribed).toEqual([]);
    });

    it('should send nothing of a channel to a socket whose access was withdrawn while its subscribe was checked', async () => {
      // A channel whose rule the test answers: the first check passes, then access is withdrawn while the second one
      // (made once the socket is in the room) is still running; an event published meanwhile is not the socket's.
      const id = randomUUID();
      const channel = `probe:withdrawn:${id}`;
      let allowed = true;
      let checks = 0;
      let secondCheckStarted!: () => void;
      const started = new Promise<void>((resolve) => (secondCheckStarted = resolve));
      let finishSecondCheck!: () => void;
      const finished = new Promise<void>((resolve) => (finishSecondCheck = resolve));
      sut.app.get(ChannelRegistry).register({
        pattern: 'probe:withdrawn:{id}',
        authorize: async () => {
          checks += 1;
          if (checks === 2) {
            secondCheckStarted();
            await finished;
          }
          if (!allowed) throw DomainException.forbidden();
        },
      });
      const socket = await connect(sut.url, user.token);
      const seen = collect<{ userId: string }>(socket, 'presence');
      const answer = emitAck(socket, 'subscribe', { channel });
      await started;
      allowed = false;
      sut.app
        .get(RealtimePublisher)
        .publish(channel, 'presence', { userId: 'withdrawn', online: true, lastSeenAt: null });
      finishSecondCheck();
      expect(await answer).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await receives(socket, channel)).toBe(false);
      expect(seen.map((p) => p.userId)).not.toContain('withdrawn');
    });

    it('should take the sockets of given rooms out of a channel', async () => {
      const socket = await connect(sut.url, user.token);
      const bystander = await connect(sut.url, other.token);
      const channel = `user:${user.id}`;
      const unsubscribed = waitFor(socket, 'unsubscribed');
      const bystanderEvents = collect(bystander, 'unsubscribed');
      await sut.app.get(ChannelService).removeRoomsFrom(channel, [`user:${user.id}`, `user:${other.id}`], 'left');
      expect(await unsubscribed).toEqual({ channel, reason: 'left' });
      expect(await receives(socket, channel)).toBe(false);
      expect(bystanderEvents).toEqual([]);
    });
  });
});
