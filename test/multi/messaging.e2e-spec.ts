import type { Socket } from 'socket.io-client';
import { RedisService } from '../../src/redis/redis.service.js';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { createUsers, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { collect, connect, emitAck, eventually, waitFor } from '../helpers/sockets.js';
import { typingCheckedOnLeave, watchTypingTimeouts } from '../helpers/typing-hooks.js';

async function conversationOf(app: TestApp, owner: TestUser, others: TestUser[]): Promise<string> {
  const res = await client(app.url).post('/api/v1/conversations', {
    token: owner.token,
    body: { memberIds: others.map((u) => u.id) },
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function subscribed(app: TestApp, user: TestUser, channel: string): Promise<Socket> {
  const socket = await connect(app.url, user.token);
  const ack = await emitAck(socket, 'subscribe', { channel });
  if (!ack.ok) throw new Error(`subscribe ${channel}: ${JSON.stringify(ack)}`);
  return socket;
}

describeMultiInstance('Messaging across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances(
    (x, y) => {
      [a, b] = [x, y];
    },
    { TYPING_TIMEOUT_MS: '500', PRESENCE_GRACE_MS: '300' },
  );

  it('should deliver a message sent through A to a member on B, with their inbox update', async () => {
    const [alice, bob] = await createUsers(a, 2, 'Multi');
    const conversationId = await conversationOf(a, alice, [bob]);
    const onB = await subscribed(b, bob, `conversation:${conversationId}`);
    const message = waitFor(onB, 'message:new');
    const inbox = waitFor(onB, 'inbox:update');

    const sent = await client(a.url).post(`/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
      body: { body: 'from A' },
    });
    expect(sent.status).toBe(201);
    expect(await message).toEqual(sent.body);
    expect(await inbox).toEqual({
      conversationId,
      lastMessage: sent.body,
      unreadCount: 1,
      lastMessageSeq: 1,
      lastReadSeq: 0,
    });

    const onA = await subscribed(a, alice, `conversation:${conversationId}`);
    const reply = waitFor(onA, 'message:new');
    const ack = await emitAck(onB, 'message:send', { conversationId, body: 'from B' });
    expect(ack).toMatchObject({ ok: true, data: { seq: 2, senderId: bob.id } });
    expect(await reply).toEqual(ack.ok ? ack.data : undefined);
  });

  it('should keep seqs gapless when both instances write one conversation at once', async () => {
    const [alice, bob] = await createUsers(a, 2, 'Multi');
    const conversationId = await conversationOf(a, alice, [bob]);
    const watcher = await subscribed(a, bob, `conversation:${conversationId}`);
    const news = collect(watcher, 'message:new');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        client(i % 2 === 0 ? a.url : b.url).post(`/api/v1/conversations/${conversationId}/messages`, {
          token: i % 3 === 0 ? bob.token : alice.token,
          body: { body: `m${i}` },
        }),
      ),
    );
    const all = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(results.map((r) => r.body.seq as number).sort((x, y) => x - y)).toEqual(all);
    // Across instances a client orders by seq (and would fill a gap with ?afterSeq=).
    await eventually(() => expect(news.map((m) => m.seq as number).sort((x, y) => x - y)).toEqual(all));
    const resync = await client(b.url).get(`/api/v1/conversations/${conversationId}/messages?afterSeq=0&limit=100`, {
      token: bob.token,
    });
    expect(resync.body.items.map((m: { seq: number }) => m.seq)).toEqual(all);
  });

  it('should carry typing across instances: one throttle, one timeout false, never echoed', async () => {
    const [alice, bob] = await createUsers(a, 2, 'Multi');
    const conversationId = await conversationOf(a, alice, [bob]);
    const channel = `conversation:${conversationId}`;
    const listener = await subscribed(b, bob, channel);
    const typistOnA = await subscribed(a, alice, channel);
    const typistOnB = await subscribed(b, alice, channel);
    const heard = collect(listener, 'typing');
    const echoed = [collect(typistOnA, 'typing'), collect(typistOnB, 'typing')];
    // Each instance arms a timeout for the true it received; both must have run before nothing more can come.
    const timeouts = [a, b].map((app) => watchTypingTimeouts(app, conversationId, alice.id));

    await Promise.all([
      emitAck(typistOnA, 'typing', { conversationId, isTyping: true }),
      emitAck(typistOnB, 'typing', { conversationId, isTyping: true }),
    ]);
    await waitFor(listener, 'typing', (p) => p.isTyping === false);
    await Promise.all(timeouts.map((timeout) => timeout.settled()));
    // Barrier: a message sent after both timeouts ran reaches the three sockets after anything they published.
    const later = Promise.all(
      [listener, typistOnA, typistOnB].map((s) => waitFor(s, 'message:new', (m) => m.body === 'later')),
    );
    expect(await emitAck(typistOnA, 'message:send', { conversationId, body: 'later' })).toMatchObject({ ok: true });
    await later;
    expect(heard).toEqual([
      { conversationId, userId: alice.id, isTyping: true },
      { conversationId, userId: alice.id, isTyping: false },
    ]);
    expect(echoed).toEqual([[], []]);
  });

  it('should show presence from B to a subscriber on A', async () => {
    const [alice, bob] = await createUsers(a, 2, 'Multi');
    await conversationOf(a, alice, [bob]);
    const watcher = await subscribed(a, alice, `presence:${bob.id}`);
    const online = waitFor(watcher, 'presence', (p) => p.online);
    const bobOnB = await connect(b.url, bob.token);
    expect(await online).toEqual({ userId: bob.id, online: true, lastSeenAt: expect.any(String) });
    const viaA = await client(a.url).get(`/api/v1/presence?userIds=${bob.id}`, { token: alice.token });
    expect(viaA.body.items).toEqual([{ userId: bob.id, online: true, lastSeenAt: expect.any(String) }]);

    const offline = waitFor(watcher, 'presence', (p) => !p.online);
    bobOnB.close();
    expect(await offline).toEqual({ userId: bob.id, online: false, lastSeenAt: expect.any(String) });
  });
});

describeMultiInstance('Messaging when sockets or instances go away', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances(
    (x, y) => {
      [a, b] = [x, y];
    },
    {
      TYPING_TIMEOUT_MS: '60000',
      PRESENCE_GRACE_MS: '300',
      PRESENCE_TTL_SECONDS: '3',
    },
  );

  it("should end typing when the typist's last socket on any instance leaves", async () => {
    const [alice, bob] = await createUsers(a, 2, 'Leaving');
    const conversationId = await conversationOf(a, alice, [bob]);
    const listener = await subscribed(a, bob, `conversation:${conversationId}`);
    const typistOnA = await connect(a.url, alice.token);
    const stillOnB = await connect(b.url, alice.token);
    const heard = collect(listener, 'typing');

    await emitAck(typistOnA, 'typing', { conversationId, isTyping: true });
    await eventually(() => expect(heard).toHaveLength(1));
    const checked = typingCheckedOnLeave(a, alice.id);
    typistOnA.close();
    await checked;
    // Barrier: a message sent through B once A has handled the close reaches the listener on A after anything A
    // published for it.
    const later = waitFor(listener, 'message:new', (m) => m.body === 'later');
    expect(await emitAck(stillOnB, 'message:send', { conversationId, body: 'later' })).toMatchObject({ ok: true });
    await later;
    expect(heard.map((p) => p.isTyping)).toEqual([true]);
    stillOnB.close();
    await eventually(() => expect(heard.map((p) => p.isTyping)).toEqual([true, false]));
  });

  it('should take the users of an instance that dies offline within PRESENCE_TTL_SECONDS', async () => {
    const [alice, bob] = await createUsers(a, 2, 'Dying');
    await conversationOf(a, alice, [bob]);
    const watcher = await subscribed(a, alice, `presence:${bob.id}`);
    const online = waitFor(watcher, 'presence', (p) => p.online);
    await connect(b.url, bob.token);
    await online;

    // B dies without retiring: its Redis commands fail from now on (no graceful sweep, no disconnect bookkeeping),
    // then it stops. Only A's heartbeat sweep can take Bob offline.
    const offline = waitFor(watcher, 'presence', (p) => !p.online, 30_000);
    b.app.get(RedisService).client.disconnect();
    await b.close();
    expect(await offline).toEqual({ userId: bob.id, online: false, lastSeenAt: expect.any(String) });
    const viaA = await client(a.url).get(`/api/v1/presence?userIds=${bob.id}`, { token: alice.token });
    expect(viaA.body.items).toEqual([{ userId: bob.id, online: false, lastSeenAt: expect.any(String) }]);
  }, 60_000);
});

describeMultiInstance('Messaging when the instance timing a typist dies', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances(
    (x, y) => {
      [a, b] = [x, y];
    },
    { TYPING_TIMEOUT_MS: '500' },
  );

  // The timeout's timer lives on the instance that took the `true`: before, when it died, no `false` ever came (the
  // typist's other socket, on A, kept their typing from ending with their sockets).
  it('should end the typing whose timer was on an instance that died, a second or two late', async () => {
    const [alice, bob] = await createUsers(a, 2, 'Orphan');
    const conversationId = await conversationOf(a, alice, [bob]);
    const listener = await subscribed(a, bob, `conversation:${conversationId}`);
    await connect(a.url, alice.token);
    const typistOnB = await connect(b.url, alice.token);
    const heard = collect(listener, 'typing');
    await emitAck(typistOnB, 'typing', { conversationId, isTyping: true });
    await eventually(() => expect(heard).toHaveLength(1));

    // B dies without retiring: its Redis commands fail from now on, then it stops.
    b.app.get(RedisService).client.disconnect();
    await b.close();
    await waitFor(listener, 'typing', (p) => p.isTyping === false, 10_000);
    expect(heard).toEqual([
      { conversationId, userId: alice.id, isTyping: true },
      { conversationId, userId: alice.id, isTyping: false },
    ]);
  }, 30_000);
});
