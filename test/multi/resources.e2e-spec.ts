import type { Socket } from 'socket.io-client';
import { RealtimeServer } from '../../src/realtime/realtime.server.js';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { collect, connect, emitAck, waitFor } from '../helpers/sockets.js';

const channelOf = (id: string) => `resource:updates:${id}`;

/** Every event a socket receives, in arrival order. */
function record(socket: Socket): [string, any][] {
  const seen: [string, any][] = [];
  socket.onAny((event: string, payload: unknown) => seen.push([event, payload]));
  return seen;
}

describeMultiInstance('Resources across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let owner: TestUser;
  let reader: TestUser;

  useTwoInstances(async (x, y) => {
    [a, b] = [x, y];
    owner = await registerUser(a, 'Owner on A');
    reader = await registerUser(b, 'Reader on B');
  });

  const create = async (body: Record<string, unknown> = {}) => {
    const res = await client(a.url).post('/api/v1/resources', {
      token: owner.token,
      body: { name: 'Shared', visibility: 'public', data: {}, ...body },
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  it('should deliver an update made on A to a subscriber on B, each version once', async () => {
    const r = await create();
    const onB = await connect(b.url, reader.token);
    expect(await emitAck(onB, 'subscribe:resource', { resourceId: r.id })).toEqual({
      ok: true,
      data: { channel: channelOf(r.id), snapshot: r },
    });
    const events = collect(onB, 'resource:update');
    const last = waitFor(onB, 'resource:update', (p) => p.version === 11, 30_000);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client(i % 2 ? b.url : a.url).patch(`/api/v1/resources/${r.id}`, {
          token: owner.token,
          body: { data: { [`k${i}`]: i } },
        }),
      ),
    );
    expect(responses.map((res) => res.status)).toEqual(Array(10).fill(200));
    await last;
    // Published by two instances: each version once; clients order by version.
    expect(events.map((e) => e.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    const fromA = responses.filter((_, i) => i % 2 === 0).map((res) => res.body.version as number);
    const seenFromA = events.map((e) => e.version as number).filter((v) => fromA.includes(v));
    expect(seenFromA).toEqual([...fromA].sort((x, y) => x - y));
    expect(events.find((e) => e.version === 11).resource.data).toEqual(
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])),
    );
  });

  it('should remove a reader held by B before A publishes the change that makes the resource private', async () => {
    const r = await create({ data: { note: 'public' } });
    const sentinel = await create({ name: 'Sentinel' });
    const admin = await loginAdmin(b);
    const readerOnB = await connect(b.url, reader.token);
    const ownerOnB = await connect(b.url, owner.token);
    const adminOnB = await connect(b.url, admin.token);
    const ownerOnA = await connect(a.url, owner.token);
    for (const s of [readerOnB, ownerOnB, adminOnB, ownerOnA]) {
      expect(await emitAck(s, 'subscribe:resource', { resourceId: r.id })).toMatchObject({ ok: true });
    }
    expect(await emitAck(readerOnB, 'subscribe:resource', { resourceId: sentinel.id })).toMatchObject({ ok: true });
    const readerLog = record(readerOnB);
    const removed = waitFor(readerOnB, 'unsubscribed');
    const seenBy = [ownerOnB, adminOnB, ownerOnA].map((s) =>
      waitFor(s, 'resource:update', (p) => p.resourceId === r.id && p.version === 2),
    );

    const res = await client(a.url).patch(`/api/v1/resources/${r.id}`, {
      token: owner.token,
      body: { visibility: 'private', data: { note: 'secret' } },
    });
    expect(res.status).toBe(200);
    expect(await removed).toEqual({ channel: channelOf(r.id), reason: 'FORBIDDEN' });
    for (const seen of await Promise.all(seenBy)) {
      expect(seen.resource).toMatchObject({ visibility: 'private', data: { note: 'secret' } });
    }

    // Published by A after the private update: had the reader still been in the room, that update would be here first.
    const sentinelSeen = waitFor(readerOnB, 'resource:update', (p) => p.resourceId === sentinel.id);
    await client(a.url).patch(`/api/v1/resources/${sentinel.id}`, { token: owner.token, body: { name: 'Moved' } });
    await sentinelSeen;
    expect(readerLog.map(([event, payload]) => [event, payload.resourceId ?? payload.channel])).toEqual([
      ['unsubscribed', channelOf(r.id)],
      ['resource:update', sentinel.id],
    ]);
    expect(await emitAck(readerOnB, 'subscribe:resource', { resourceId: r.id })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('should tell subscribers on B of a delete on A and empty the channel everywhere', async () => {
    const r = await create();
    const onB = await connect(b.url, reader.token);
    await emitAck(onB, 'subscribe:resource', { resourceId: r.id });
    const deleted = waitFor(onB, 'resource:deleted');
    expect((await client(a.url).delete(`/api/v1/resources/${r.id}`, { token: owner.token })).status).toBe(204);
    expect(await deleted).toEqual({ resourceId: r.id });
    const sockets = await a.app.get(RealtimeServer).server.in(channelOf(r.id)).fetchSockets();
    expect(sockets).toHaveLength(0);
  });
});
