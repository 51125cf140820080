import { Redis } from 'ioredis';
import { ChannelService } from '../../src/realtime/channel.service.js';
import { PresenceService } from '../../src/realtime/presence.service.js';
import { RealtimePublisher } from '../../src/realtime/realtime.publisher.js';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance, services } from '../helpers/mode.js';
import { connect, connectError, eventually, waitDisconnect, waitFor } from '../helpers/sockets.js';

// Both Redis adapters: classic Pub/Sub, and sharded Pub/Sub with a channel per room (REDIS_ADAPTER=sharded).
for (const adapter of ['classic', 'sharded'])
  describeMultiInstance(`Realtime core across instances (${adapter} Redis adapter)`, () => {
    let a: TestApp;
    let b: TestApp;

    useTwoInstances(
      (x, y) => {
        [a, b] = [x, y];
      },
      { PRESENCE_GRACE_MS: '300', REDIS_ADAPTER: adapter },
    );

    it('should deliver an event published on A to a socket on B', async () => {
      const user = await registerUser(a, 'Listener On B');
      const socket = await connect(b.url, user.token);
      const payload = { userId: user.id, online: true, lastSeenAt: '2026-01-01T00:00:00.000Z' };
      const received = waitFor(socket, 'presence');
      a.app.get(RealtimePublisher).publish(`user:${user.id}`, 'presence', payload);
      expect(await received).toEqual(payload);
    });

    it(`should pass events over ${adapter === 'sharded' ? 'a sharded channel per room' : 'one Pub/Sub channel'}`, async () => {
      const user = await registerUser(a, 'Room Channel');
      await connect(b.url, user.token);
      const redis = new Redis(services.redisUrl!);
      try {
        const prefix = `${a.config.redis.prefix}:io`;
        const [classic, sharded] = await Promise.all([
          redis.pubsub('CHANNELS', `${prefix}*`) as Promise<string[]>,
          redis.pubsub('SHARDCHANNELS', `${prefix}*`) as Promise<string[]>,
        ]);
        if (adapter === 'sharded') {
          expect(classic).toEqual([]);
          expect(sharded).toContain(`${prefix}#/#user:${user.id}#`);
        } else {
          expect(sharded).toEqual([]);
          expect(classic).toContain(`${prefix}-request#/#`);
        }
      } finally {
        redis.disconnect();
      }
    });

    it('should keep events of one channel in publish order across instances', async () => {
      const user = await registerUser(a, 'Ordered On B');
      const socket = await connect(b.url, user.token);
      const seen: string[] = [];
      socket.on('presence', (p: { lastSeenAt: string }) => seen.push(p.lastSeenAt));
      const publisher = a.app.get(RealtimePublisher);
      const stamps = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString());
      stamps.forEach((lastSeenAt, seq) =>
        publisher.publish(
          `user:${user.id}`,
          'presence',
          { userId: user.id, online: true, lastSeenAt },
          {
            order: { key: `test:${user.id}`, seq: seq + 1 },
          },
        ),
      );
      await eventually(async () => expect(seen).toHaveLength(stamps.length));
      expect(seen).toEqual(stamps);
    });

    it('should disconnect on B the sockets of a user revoked through A, and refuse their token on B at once', async () => {
      const admin = await loginAdmin(a);
      const victim = await registerUser(a, 'Revoked Everywhere');
      // B has seen (and cached) the account before the change.
      expect((await client(b.url).get('/api/v1/auth/me', { token: victim.token })).status).toBe(200);
      const socket = await connect(b.url, victim.token);
      const gone = waitDisconnect(socket);
      const patched = await client(a.url).patch(`/api/v1/users/${victim.id}`, {
        token: admin.token,
        body: { disabled: true },
      });
      expect(patched.status).toBe(200);
      const me = await client(b.url).get('/api/v1/auth/me', { token: victim.token });
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('UNAUTHORIZED');
      expect(await gone).toBe('io server disconnect');
      expect(await connectError(b.url, victim.token)).toBe('Authentication failed');
    });

    it('should refuse on B the older token of a user whose role changed through A', async () => {
      const admin = await loginAdmin(a);
      const user = await registerUser(b, 'Promoted On A');
      expect((await client(b.url).get('/api/v1/auth/me', { token: user.token })).status).toBe(200);
      await client(a.url).patch(`/api/v1/users/${user.id}`, { token: admin.token, body: { role: 'admin' } });
      expect((await client(b.url).get('/api/v1/auth/me', { token: user.token })).status).toBe(401);
      const relogin = await client(b.url).post('/api/v1/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect((await client(b.url).get('/api/v1/auth/me', { token: relogin.body.accessToken })).body.role).toBe('admin');
    });

    it('should count on A a user connected only to B', async () => {
      const presenceA = a.app.get(PresenceService);
      const presenceB = b.app.get(PresenceService);
      const user = await registerUser(a, 'Only On B');
      expect(await presenceA.snapshot(user.id)).toEqual({ userId: user.id, online: false, lastSeenAt: null });
      // Users of earlier tests leave after the grace period: start from a quiet cluster.
      await eventually(async () => expect(await presenceA.stats()).toEqual({ connections: 0, onlineUsers: 0 }));
      const before = await presenceA.stats();

      const socket = await connect(b.url, user.token);
      await eventually(async () =>
        expect(await presenceA.stats()).toEqual({
          connections: before.connections + 1,
          onlineUsers: before.onlineUsers + 1,
        }),
      );
      expect(await presenceB.stats()).toEqual(await presenceA.stats());
      const online = await presenceA.snapshot(user.id);
      expect(online).toEqual({ userId: user.id, online: true, lastSeenAt: expect.any(String) });

      socket.close();
      await eventually(async () => expect((await presenceA.snapshot(user.id)).online).toBe(false));
      expect(await presenceA.stats()).toEqual(before);
    });

    it('should remove on B a subscriber whose permission was withdrawn through A', async () => {
      const user = await registerUser(a, 'Evicted On B');
      const socket = await connect(b.url, user.token);
      const channel = `user:${user.id}`;
      const unsubscribed = waitFor(socket, 'unsubscribed');
      expect(await a.app.get(ChannelService).evictUnauthorized(channel, () => false)).toBe(1);
      expect(await unsubscribed).toEqual({ channel, reason: 'FORBIDDEN' });
      // Removed before the change is published: an event sent now does not reach it.
      const presence: unknown[] = [];
      socket.on('presence', (p: unknown) => presence.push(p));
      a.app.get(RealtimePublisher).publish(channel, 'presence', { userId: user.id, online: true, lastSeenAt: null });
      a.app
        .get(RealtimePublisher)
        .publish(socket.id!, 'presence', { userId: 'marker', online: true, lastSeenAt: null });
      await waitFor(socket, 'presence', (p: { userId: string }) => p.userId === 'marker');
      expect(presence).toEqual([{ userId: 'marker', online: true, lastSeenAt: null }]);
    });
  });
