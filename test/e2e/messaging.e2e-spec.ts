import type { Socket } from 'socket.io-client';
import { type TestApp, startApp } from '../helpers/app.js';
import { createUsers, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, eventually, waitFor } from '../helpers/sockets.js';
import { typingCheckedOnLeave, watchTypingTimeouts } from '../helpers/typing-hooks.js';

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** Sends a message over the socket and answers it; fails the test when it is refused. */
async function sendOver(socket: Socket, conversationId: string, body: string): Promise<{ id: string; seq: number }> {
  const ack = await emitAck(socket, 'message:send', { conversationId, body });
  if (!ack.ok) throw new Error(`message:send: ${JSON.stringify(ack)}`);
  return ack.data;
}

describeE2E('Messaging', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp({ TYPING_TIMEOUT_MS: '500', PRESENCE_GRACE_MS: '300' });
    api = client(sut.url);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  const users = (count: number) => createUsers(sut, count, 'Chat');

  async function createConversation(owner: TestUser, memberIds: string[], title?: string) {
    const res = await api.post('/api/v1/conversations', { token: owner.token, body: { memberIds, title } });
    if (res.status !== 201 && res.status !== 200) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function subscribed(user: TestUser, channel: string): Promise<Socket> {
    const socket = await connect(sut.url, user.token);
    const ack = await emitAck(socket, 'subscribe', { channel });
    if (!ack.ok) throw new Error(`subscribe ${channel}: ${JSON.stringify(ack)}`);
    return socket;
  }

  const send = (user: TestUser, conversationId: string, body: unknown) =>
    api.post(`/api/v1/conversations/${conversationId}/messages`, { token: user.token, body });

  it('should document its routes in OpenAPI', async () => {
    const res = await api.get('/docs-json');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/conversations',
        '/api/v1/conversations/{id}',
        '/api/v1/conversations/{id}/members',
        '/api/v1/conversations/{id}/members/me',
        '/api/v1/conversations/{id}/messages',
        '/api/v1/conversations/{id}/read',
        '/api/v1/presence',
      ]),
    );
    expect(Object.keys(res.body.components.schemas)).toEqual(
      expect.arrayContaining(['ConversationDto', 'MessageDto', 'CreateConversationDto', 'SendMessageDto']),
    );
  });

  describe('conversations', () => {
    it('should create a direct conversation once (201) and reuse it (200) from either side', async () => {
      const [alice, bob] = await users(2);
      const [aliceSocket, bobSocket] = [await connect(sut.url, alice.token), await connect(sut.url, bob.token)];
      const addedToAlice = collect(aliceSocket, 'conversation:added');
      const addedToBob = waitFor(bobSocket, 'conversation:added');

      const first = await api.post('/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({
        id: expect.any(String),
        kind: 'direct',
        title: null,
        members: expect.arrayContaining([
          { userId: alice.id, displayName: alice.displayName, lastReadSeq: 0 },
          { userId: bob.id, displayName: bob.displayName, lastReadSeq: 0 },
        ]),
        lastMessage: null,
        unreadCount: 0,
        createdAt: expect.any(String),
      });
      expect(first.body.members).toHaveLength(2);
      expect(await addedToBob).toEqual({ conversation: first.body });

      const again = await api.post('/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      const fromBob = await api.post('/api/v1/conversations', {
        token: bob.token,
        body: { memberIds: [alice.id, bob.id], title: null },
      });
      expect(fromBob.status).toBe(200);
      expect(fromBob.body.id).toBe(first.body.id);
      // Barrier: a conversation created after the reuses reaches Alice's socket after anything they published.
      const laterAdded = waitFor(aliceSocket, 'conversation:added', (e) => e.conversation.title === 'later');
      const later = await createConversation(bob, [alice.id], 'later');
      await laterAdded;
      expect(addedToAlice.map((e) => e.conversation.id)).toEqual([first.body.id, later.id]);
    });

    it('should create exactly one direct conversation when creates race', async () => {
      const [alice, bob] = await users(2);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          api.post('/api/v1/conversations', {
            token: i % 2 === 0 ? alice.token : bob.token,
            body: { memberIds: [i % 2 === 0 ? bob.id : alice.id] },
          }),
        ),
      );
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(11);
    });

    it('should create a group for a title or several others, with the creator as a member', async () => {
      const [alice, bob, carol] = await users(3);
      const carolSocket = await connect(sut.url, carol.token);
      const added = waitFor(carolSocket, 'conversation:added');
      const group = await api.post('/api/v1/conversations', {
        token: alice.token,
        body: { memberIds: [bob.id, carol.id, alice.id, bob.id] },
      });
      expect(group.status).toBe(201);
      expect(group.body).toMatchObject({ kind: 'group', title: null });
      expect(group.body.members.map((m: { userId: string }) => m.userId).sort()).toEqual(
        [alice.id, bob.id, carol.id].sort(),
      );
      expect((await added).conversation.id).toBe(group.body.id);

      const titled = await api.post('/api/v1/conversations', {
        token: alice.token,
        body: { memberIds: [bob.id], title: '  Plans  ' },
      });
      expect(titled.status).toBe(201);
      expect(titled.body).toMatchObject({ kind: 'group', title: 'Plans' });
      const second = await api.post('/api/v1/conversations', {
        token: alice.token,
        body: { memberIds: [bob.id], title: 'Plans' },
      });
      expect(second.status).toBe(201);
      expect(second.body.id).not.toBe(titled.body.id);
    });

    it('should refuse bad member lists with VALIDATION_FAILED', async () => {
      const [alice, bob] = await users(2);
      const bodies: unknown[] = [
        {},
        { memberIds: [] },
        { memberIds: [alice.id] },
        { memberIds: ['not-a-uuid'] },
        { memberIds: bob.id },
        { memberIds: [MISSING_ID] },
        { memberIds: [bob.id, MISSING_ID] },
        { memberIds: Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) },
        { memberIds: [bob.id], title: '' },
        { memberIds: [bob.id], title: 'x'.repeat(101) },
      ];
      for (const body of bodies) {
        const res = await api.post('/api/v1/conversations', { token: alice.token, body });
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    });

    it('should show a conversation to members only', async () => {
      const [alice, bob, mallory] = await users(3);
      const conversation = await createConversation(alice, [bob.id]);
      const asBob = await api.get(`/api/v1/conversations/${conversation.id}`, { token: bob.token });
      expect(asBob.status).toBe(200);
      expect(asBob.body).toEqual(conversation);
      const asMallory = await api.get(`/api/v1/conversations/${conversation.id}`, { token: mallory.token });
      expect(asMallory.status).toBe(403);
      expect(asMallory.body.code).toBe('FORBIDDEN');
      const missing = await api.get(`/api/v1/conversations/${MISSING_ID}`, { token: bob.token });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('NOT_FOUND');
      expect((await api.get('/api/v1/conversations/nope', { token: bob.token })).status).toBe(400);
      expect((await api.get(`/api/v1/conversations/${conversation.id}`)).status).toBe(401);
    });

    it('should list own conversations by latest activity, with unread counts, last message and a cursor', async () => {
      const [alice, bob, carol] = await users(3);
      const first = await createConversation(alice, [bob.id]);
      const second = await createConversation(alice, [carol.id]);
      const third = await createConversation(alice, [bob.id, carol.id]);
      const sent = await send(bob, first.id, { body: 'bump' });
      expect(sent.status).toBe(201);

      const page = await api.get('/api/v1/conversations', { token: alice.token });
      expect(page.status).toBe(200);
      expect(page.body.items.map((c: { id: string }) => c.id)).toEqual([first.id, third.id, second.id]);
      expect(page.body.nextCursor).toBeNull();
      expect(page.body.items[0]).toMatchObject({ unreadCount: 1, lastMessage: sent.body });
      expect(page.body.items[1]).toMatchObject({ unreadCount: 0, lastMessage: null });

      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=1&cursor=${cursor}` : '?limit=1';
        const res = await api.get(`/api/v1/conversations${query}`, { token: alice.token });
        expect(res.body.items.length).toBeLessThanOrEqual(1);
        ids.push(...res.body.items.map((c: { id: string }) => c.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(ids).toEqual([first.id, third.id, second.id]);

      const bobs = await api.get('/api/v1/conversations', { token: bob.token });
      expect(bobs.body.items.map((c: { id: string }) => c.id)).toEqual([first.id, third.id]);
      expect(bobs.body.items[0].unreadCount).toBe(0);
      const cursor64 = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
      for (const bad of [
        'garbage',
        cursor64(['2025-02-31T00:00:00.000000Z', first.id]),
        cursor64(['yesterday', first.id]),
        cursor64(['2025-01-01T00:00:00.000000Z', 'not-a-uuid']),
      ]) {
        expect((await api.get(`/api/v1/conversations?cursor=${bad}`, { token: bob.token })).status).toBe(400);
      }
      expect((await api.get('/api/v1/conversations?limit=101', { token: bob.token })).status).toBe(400);
    });
  });

  describe('members', () => {
    it('should add members to a group, tell the conversation and the new members', async () => {
      const [alice, bob, carol, dave] = await users(4);
      const group = await createConversation(alice, [bob.id], 'Team');
      await send(alice, group.id, { body: 'history' });
      const watcher = await subscribed(bob, `conversation:${group.id}`);
      const carolSocket = await connect(sut.url, carol.token);
      const membersEvent = waitFor(watcher, 'conversation:members');
      const added = waitFor(carolSocket, 'conversation:added');

      const res = await api.post(`/api/v1/conversations/${group.id}/members`, {
        token: bob.token,
        body: { userIds: [carol.id, dave.id, alice.id] },
      });
      expect(res.status).toBe(200);
      expect(res.body.members).toHaveLength(4);
      const event = await membersEvent;
      expect(event.conversationId).toBe(group.id);
      expect(event.members.map((m: { userId: string }) => m.userId).sort()).toEqual(
        [alice.id, bob.id, carol.id, dave.id].sort(),
      );
      const { conversation } = await added;
      expect(conversation).toMatchObject({ id: group.id, kind: 'group', title: 'Team', unreadCount: 0 });
      expect(conversation.lastMessage).toMatchObject({ body: 'history', seq: 1 });
      expect(conversation.members.find((m: { userId: string }) => m.userId === carol.id).lastReadSeq).toBe(1);
      expect((await api.get(`/api/v1/conversations/${group.id}`, { token: carol.token })).status).toBe(200);
    });

    it('should refuse adding to a direct conversation, by a non-member, or unknown users', async () => {
      const [alice, bob, carol, mallory] = await users(4);
      const direct = await createConversation(alice, [bob.id]);
      const group = await createConversation(alice, [bob.id], 'G');
      const toDirect = await api.post(`/api/v1/conversations/${direct.id}/members`, {
        token: alice.token,
        body: { userIds: [carol.id] },
      });
      expect([toDirect.status, toDirect.body.code]).toEqual([403, 'FORBIDDEN']);
      const byStranger = await api.post(`/api/v1/conversations/${group.id}/members`, {
        token: mallory.token,
        body: { userIds: [mallory.id] },
      });
      expect([byStranger.status, byStranger.body.code]).toEqual([403, 'FORBIDDEN']);
      const unknown = await api.post(`/api/v1/conversations/${group.id}/members`, {
        token: alice.token,
        body: { userIds: [MISSING_ID] },
      });
      expect([unknown.status, unknown.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const missing = await api.post(`/api/v1/conversations/${MISSING_ID}/members`, {
        token: alice.token,
        body: { userIds: [carol.id] },
      });
      expect(missing.status).toBe(404);
      const empty = await api.post(`/api/v1/conversations/${group.id}/members`, {
        token: alice.token,
        body: { userIds: [] },
      });
      expect(empty.status).toBe(400);
    });

    it('should let a member leave a group: sockets out of the channel first, then the others told', async () => {
      const [alice, bob, carol] = await users(3);
      const group = await createConversation(alice, [bob.id, carol.id]);
      const leaverSocket = await subscribed(bob, `conversation:${group.id}`);
      const watcher = await subscribed(alice, `conversation:${group.id}`);
      const leaverMessages = collect(leaverSocket, 'message:new');
      const leaverMembers = collect(leaverSocket, 'conversation:members');
      const unsubscribed = waitFor(leaverSocket, 'unsubscribed');
      const membersEvent = waitFor(watcher, 'conversation:members');

      const res = await api.delete(`/api/v1/conversations/${group.id}/members/me`, { token: bob.token });
      expect(res.status).toBe(204);
      expect(await unsubscribed).toEqual({ channel: `conversation:${group.id}`, reason: 'FORBIDDEN' });
      const event = await membersEvent;
      expect(event.members.map((m: { userId: string }) => m.userId).sort()).toEqual([alice.id, carol.id].sort());

      const afterLeave = waitFor(watcher, 'message:new');
      await send(alice, group.id, { body: 'after bob left' });
      await afterLeave;
      expect(leaverMessages).toEqual([]);
      expect(leaverMembers).toEqual([]);
      expect((await api.get(`/api/v1/conversations/${group.id}`, { token: bob.token })).status).toBe(403);
      expect((await send(bob, group.id, { body: 'let me in' })).status).toBe(403);
      const again = await emitAck(leaverSocket, 'subscribe', { channel: `conversation:${group.id}` });
      expect(again).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const twice = await api.delete(`/api/v1/conversations/${group.id}/members/me`, { token: bob.token });
      expect(twice.status).toBe(403);
    });

    it('should take an id written in capitals for the same conversation: its view, a read, typing, leaving', async () => {
      const [alice, bob, carol] = await users(3);
      const group = await createConversation(alice, [bob.id, carol.id]);
      const upper = group.id.toUpperCase();
      const watcher = await subscribed(alice, `conversation:${group.id}`);
      await send(alice, group.id, { body: 'first' });

      const view = (await api.get(`/api/v1/conversations/${group.id}`, { token: bob.token })).body;
      expect((await api.get(`/api/v1/conversations/${upper}`, { token: bob.token })).body).toEqual(view);
      const read = waitFor(watcher, 'message:read');
      const marked = await api.post(`/api/v1/conversations/${upper}/read`, { token: bob.token, body: { seq: 1 } });
      expect(marked.status).toBe(200);
      expect(await read).toEqual({ conversationId: group.id, userId: bob.id, seq: 1 });
      const typist = await connect(sut.url, bob.token);
      const typing = waitFor(watcher, 'typing');
      expect(await emitAck(typist, 'typing', { conversationId: upper, isTyping: true })).toEqual({
        ok: true,
        data: {},
      });
      expect(await typing).toEqual({ conversationId: group.id, userId: bob.id, isTyping: true });

      // Leaving in capitals takes the leaver's sockets out of the channel before the others are told.
      const leaverSocket = await subscribed(carol, `conversation:${group.id}`);
      const leaverMessages = collect(leaverSocket, 'message:new');
      const unsubscribed = waitFor(leaverSocket, 'unsubscribed');
      const membersEvent = waitFor(watcher, 'conversation:members');
      expect((await api.delete(`/api/v1/conversations/${upper}/members/me`, { token: carol.token })).status).toBe(204);
      expect(await unsubscribed).toEqual({ channel: `conversation:${group.id}`, reason: 'FORBIDDEN' });
      const event = await membersEvent;
      expect(event.members.map((m: { userId: string }) => m.userId).sort()).toEqual([alice.id, bob.id].sort());
      const afterLeave = waitFor(watcher, 'message:new', (m) => m.body === 'after carol left');
      await send(alice, group.id, { body: 'after carol left' });
      await afterLeave;
      expect(leaverMessages).toEqual([]);
    });

    it('should refuse leaving a direct conversation', async () => {
      const [alice, bob] = await users(2);
      const direct = await createConversation(alice, [bob.id]);
      const res = await api.delete(`/api/v1/conversations/${direct.id}/members/me`, { token: alice.token });
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      const missing = await api.delete(`/api/v1/conversations/${MISSING_ID}/members/me`, { token: alice.token });
      expect(missing.status).toBe(404);
    });
  });

  describe('channel', () => {
    it('should let members subscribe to conversation:{id} and refuse others', async () => {
      const [alice, bob, mallory] = await users(3);
      const conversation = await createConversation(alice, [bob.id]);
      const channel = `conversation:${conversation.id}`;
      const bobSocket = await connect(sut.url, bob.token);
      expect(await emitAck(bobSocket, 'subscribe', { channel })).toEqual({ ok: true, data: { channel } });
      const mallorySocket = await connect(sut.url, mallory.token);
      expect(await emitAck(mallorySocket, 'subscribe', { channel })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(mallorySocket, 'subscribe', { channel: `conversation:${MISSING_ID}` })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await emitAck(mallorySocket, 'subscribe', { channel: 'conversation:nope' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
    });
  });

  describe('messages', () => {
    it('should send over REST and WS through one path, to subscribers and every member inbox', async () => {
      const [alice, bob, carol] = await users(3);
      const group = await createConversation(alice, [bob.id, carol.id]);
      const channel = `conversation:${group.id}`;
      const aliceSocket = await subscribed(alice, channel);
      const bobSocket = await subscribed(bob, channel);
      const carolSocket = await connect(sut.url, carol.token);
      const news = collect(bobSocket, 'message:new');
      const ownEcho = waitFor(aliceSocket, 'message:new');
      const carolInbox = waitFor(carolSocket, 'inbox:update');
      const aliceInbox = waitFor(aliceSocket, 'inbox:update');

      const rest = await send(alice, group.id, { body: 'over REST' });
      expect(rest.status).toBe(201);
      expect(rest.body).toEqual({
        id: expect.any(String),
        conversationId: group.id,
        seq: 1,
        senderId: alice.id,
        body: 'over REST',
        clientId: null,
        createdAt: expect.any(String),
      });
      expect(await ownEcho).toEqual(rest.body);
      const inbox = { conversationId: group.id, lastMessage: rest.body, lastMessageSeq: 1 };
      expect(await carolInbox).toEqual({ ...inbox, unreadCount: 1, lastReadSeq: 0 });
      expect(await aliceInbox).toEqual({ ...inbox, unreadCount: 0, lastReadSeq: 1 });

      const carolSecond = waitFor(carolSocket, 'inbox:update', (p) => p.lastMessage.seq === 2);
      const ws = await emitAck(bobSocket, 'message:send', {
        conversationId: group.id,
        body: 'over WS',
        clientId: 'w1',
      });
      expect(ws).toEqual({
        ok: true,
        data: {
          ...rest.body,
          id: expect.any(String),
          seq: 2,
          senderId: bob.id,
          body: 'over WS',
          clientId: 'w1',
          createdAt: expect.any(String),
        },
      });
      expect((await carolSecond).unreadCount).toBe(2);
      await eventually(() => expect(news.map((m) => m.seq)).toEqual([1, 2]));

      const view = await api.get(`/api/v1/conversations/${group.id}`, { token: bob.token });
      const lastReads = Object.fromEntries(
        view.body.members.map((m: { userId: string; lastReadSeq: number }) => [m.userId, m.lastReadSeq]),
      );
      expect(lastReads).toEqual({ [alice.id]: 1, [bob.id]: 2, [carol.id]: 0 });
      expect(view.body.unreadCount).toBe(0);
    });

    it('should answer a retried clientId with the first message (200) and publish it once', async () => {
      const [alice, bob] = await users(2);
      const conversation = await createConversation(alice, [bob.id]);
      const watcher = await subscribed(bob, `conversation:${conversation.id}`);
      const news = collect(watcher, 'message:new');
      const aliceSocket = await connect(sut.url, alice.token);

      const first = await send(alice, conversation.id, { body: 'once', clientId: 'retry-1' });
      expect(first.status).toBe(201);
      const retry = await send(alice, conversation.id, { body: 'once (edited)', clientId: 'retry-1' });
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      const overWs = await emitAck(aliceSocket, 'message:send', {
        conversationId: conversation.id,
        body: 'once',
        clientId: 'retry-1',
      });
      expect(overWs).toEqual({ ok: true, data: first.body });
      const concurrent = await Promise.all(
        Array.from({ length: 5 }, () => send(alice, conversation.id, { body: 'race', clientId: 'retry-2' })),
      );
      expect(new Set(concurrent.map((r) => r.body.id)).size).toBe(1);
      expect(concurrent.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
      const other = await send(bob, conversation.id, { body: 'same key, other sender', clientId: 'retry-1' });
      expect(other.status).toBe(201);

      const listed = await api.get(`/api/v1/conversations/${conversation.id}/messages`, { token: bob.token });
      expect(listed.body.items.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3]);
      // Barrier: a message sent after the retries reaches the watcher after anything they published.
      const later = waitFor(watcher, 'message:new', (m) => m.body === 'later');
      expect((await send(alice, conversation.id, { body: 'later' })).status).toBe(201);
      await later;
      expect(news.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    });

    it('should give 50 concurrent sends seqs 1..50 with no gap or duplicate, delivered in order', async () => {
      const members = await users(5);
      const [owner, ...others] = members;
      const group = await createConversation(
        owner,
        others.map((u) => u.id),
      );
      const watcher = await subscribed(owner, `conversation:${group.id}`);
      const news = collect(watcher, 'message:new');
      const wsSenders = await Promise.all(members.slice(0, 2).map((u) => connect(sut.url, u.token)));

      const sends = Array.from({ length: 50 }, (_, i) => {
        if (i % 5 === 0) {
          return emitAck(wsSenders[i % 2], 'message:send', { conversationId: group.id, body: `ws ${i}` }).then((ack) =>
            ack.ok ? (ack.data.seq as number) : -1,
          );
        }
        return send(members[i % 5], group.id, { body: `rest ${i}` }).then((r) => (r.status === 201 ? r.body.seq : -1));
      });
      const seqs = (await Promise.all(sends)).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

      await eventually(() => expect(news).toHaveLength(50));
      expect(news.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const listed = await api.get(`/api/v1/conversations/${group.id}/messages?afterSeq=0&limit=100`, {
        token: owner.token,
      });
      expect(listed.body.items.map((m: { seq: number }) => m.seq)).toEqual(seqs);
    });

    it('should page messages: latest by default, beforeSeq, afterSeq, always ascending', async () => {
      const [alice, bob, mallory] = await users(3);
      const conversation = await createConversation(alice, [bob.id]);
      for (let i = 1; i <= 7; i += 1) await send(i % 2 ? alice : bob, conversation.id, { body: `m${i}` });
      const path = `/api/v1/conversations/${conversation.id}/messages`;
      const seqs = (res: { body: { items: { seq: number }[] } }) => res.body.items.map((m) => m.seq);

      const latest = await api.get(`${path}?limit=3`, { token: alice.token });
      expect(seqs(latest)).toEqual([5, 6, 7]);
      expect(typeof latest.body.nextCursor).toBe('string');
      const older = await api.get(`${path}?limit=3&cursor=${latest.body.nextCursor}`, { token: alice.token });
      expect(seqs(older)).toEqual([2, 3, 4]);
      const oldest = await api.get(`${path}?limit=3&cursor=${older.body.nextCursor}`, { token: alice.token });
      expect(seqs(oldest)).toEqual([1]);
      expect(oldest.body.nextCursor).toBeNull();

      expect(seqs(await api.get(`${path}?beforeSeq=4&limit=2`, { token: bob.token }))).toEqual([2, 3]);
      const after = await api.get(`${path}?afterSeq=2&limit=3`, { token: bob.token });
      expect(seqs(after)).toEqual([3, 4, 5]);
      const rest = await api.get(`${path}?limit=3&cursor=${after.body.nextCursor}`, { token: bob.token });
      expect(seqs(rest)).toEqual([6, 7]);
      expect(rest.body.nextCursor).toBeNull();
      expect(seqs(await api.get(`${path}?afterSeq=7`, { token: bob.token }))).toEqual([]);
      expect(seqs(await api.get(path, { token: bob.token }))).toEqual([1, 2, 3, 4, 5, 6, 7]);

      expect((await api.get(path, { token: mallory.token })).status).toBe(403);
      expect((await api.get(`${path}?afterSeq=-1`, { token: bob.token })).status).toBe(400);
      expect((await api.get(`${path}?beforeSeq=abc`, { token: bob.token })).status).toBe(400);
      expect((await api.get(`${path}?afterSeq=${2 ** 31}`, { token: bob.token })).status).toBe(400);
      const tooFar = Buffer.from(JSON.stringify(['after', 2 ** 40, null])).toString('base64url');
      expect((await api.get(`${path}?cursor=${tooFar}`, { token: bob.token })).status).toBe(400);
      expect((await api.get(`/api/v1/conversations/${MISSING_ID}/messages`, { token: bob.token })).status).toBe(404);
    });

    it('should refuse bad messages and non-members', async () => {
      const [alice, bob, mallory] = await users(3);
      const conversation = await createConversation(alice, [bob.id]);
      const bad: unknown[] = [
        {},
        { body: '' },
        { body: '   \n ' },
        { body: 'x'.repeat(4001) },
        { body: 42 },
        { body: 'nul \u0000 inside' },
        { body: 'ok', clientId: '' },
        { body: 'ok', clientId: 'c'.repeat(101) },
      ];
      for (const body of bad) {
        const res = await send(alice, conversation.id, body);
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      const longest = await send(alice, conversation.id, { body: '🙂'.repeat(4000) });
      expect(longest.status).toBe(201);
      expect(longest.body.body).toBe('🙂'.repeat(4000));
      const padded = await send(alice, conversation.id, { body: '  indented\n', extra: 'ignored' });
      expect(padded.status).toBe(201);
      expect(padded.body.body).toBe('  indented\n');
      expect(padded.body).not.toHaveProperty('extra');

      const stranger = await send(mallory, conversation.id, { body: 'hi' });
      expect([stranger.status, stranger.body.code]).toEqual([403, 'FORBIDDEN']);
      expect((await send(alice, MISSING_ID, { body: 'hi' })).status).toBe(404);

      const socket = await connect(sut.url, mallory.token);
      expect(await emitAck(socket, 'message:send', { conversationId: conversation.id, body: 'hi' })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      const aliceSocket = await connect(sut.url, alice.token);
      expect(
        await emitAck(aliceSocket, 'message:send', { conversationId: conversation.id, body: 'x'.repeat(4001) }),
      ).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      expect(await emitAck(aliceSocket, 'message:send', { body: 'no conversation' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await emitAck(aliceSocket, 'message:send', 'garbage')).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
    });
  });

  describe('read state', () => {
    it('should move lastReadSeq forward only, clamp it, and publish message:read and inbox:update when it moves', async () => {
      const [alice, bob] = await users(2);
      const conversation = await createConversation(alice, [bob.id]);
      for (let i = 1; i <= 5; i += 1) await send(alice, conversation.id, { body: `m${i}` });
      const watcher = await subscribed(alice, `conversation:${conversation.id}`);
      const bobSocket = await connect(sut.url, bob.token);
      const reads = collect(watcher, 'message:read');
      const inbox = collect(bobSocket, 'inbox:update');
      const path = `/api/v1/conversations/${conversation.id}/read`;

      const first = await api.post(path, { token: bob.token, body: { seq: 3 } });
      expect([first.status, first.body]).toEqual([200, { lastReadSeq: 3, unreadCount: 2 }]);
      await eventually(() => expect(reads).toEqual([{ conversationId: conversation.id, userId: bob.id, seq: 3 }]));
      await eventually(() =>
        expect(inbox).toEqual([
          {
            conversationId: conversation.id,
            lastMessage: expect.objectContaining({ seq: 5 }),
            unreadCount: 2,
            lastMessageSeq: 5,
            lastReadSeq: 3,
          },
        ]),
      );

      const back = await api.post(path, { token: bob.token, body: { seq: 1 } });
      expect(back.body).toEqual({ lastReadSeq: 3, unreadCount: 2 });
      const overWs = await emitAck(bobSocket, 'message:read', { conversationId: conversation.id, seq: 99 });
      expect(overWs).toEqual({ ok: true, data: { lastReadSeq: 5, unreadCount: 0 } });
      await eventually(() => expect(reads.map((r) => r.seq)).toEqual([3, 5]));
      const same = await emitAck(bobSocket, 'message:read', { conversationId: conversation.id, seq: 5 });
      expect(same).toEqual({ ok: true, data: { lastReadSeq: 5, unreadCount: 0 } });

      const listed = await api.get('/api/v1/conversations', { token: bob.token });
      expect(listed.body.items.find((c: { id: string }) => c.id === conversation.id).unreadCount).toBe(0);
      // Barrier: a message sent after the read that did not move reaches both sockets after anything it published.
      const later = Promise.all([
        waitFor(watcher, 'message:new', (m) => m.body === 'later'),
        waitFor(bobSocket, 'inbox:update', (u) => u.lastMessage.body === 'later'),
      ]);
      expect((await send(alice, conversation.id, { body: 'later' })).status).toBe(201);
      await later;
      expect(reads.map((r) => r.seq)).toEqual([3, 5]);
      expect(inbox.map((u) => [u.lastMessageSeq, u.lastReadSeq, u.unreadCount])).toEqual([
        [5, 3, 2],
        [5, 5, 0],
        [6, 5, 1],
      ]);
    });

    it('should refuse reads by non-members and bad seqs', async () => {
      const [alice, bob, mallory] = await users(3);
      const conversation = await createConversation(alice, [bob.id]);
      const path = `/api/v1/conversations/${conversation.id}/read`;
      expect((await api.post(path, { token: mallory.token, body: { seq: 1 } })).status).toBe(403);
      for (const body of [{}, { seq: -1 }, { seq: 1.5 }, { seq: '3' }, { seq: 2 ** 40 }]) {
        expect((await api.post(path, { token: bob.token, body })).status).toBe(400);
      }
      const socket = await connect(sut.url, mallory.token);
      expect(await emitAck(socket, 'message:read', { conversationId: conversation.id, seq: 1 })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    });
  });

  describe('typing', () => {
    it('should send isTyping:false TYPING_TIMEOUT_MS after the last true', async () => {
      const [alice, bob] = await users(2);
      const conversation = await createConversation(alice, [bob.id]);
      const channel = `conversation:${conversation.id}`;
      const typist = await connect(sut.url, alice.token);
      const listener = await subscribed(bob, channel);
      const heard = collect(listener, 'typing');
      const timeouts = watchTypingTimeouts(sut, conversation.id, alice.id);
      await emitAck(typist, 'typing', { conversationId: conversation.id, isTyping: true });
      await waitFor(listener, 'typing', (p) => p.isTyping === false, 10_000);
      expect(heard.map((p) => p.isTyping)).toEqual([true, false]);
      // No timeout armed or running any more, then a barrier message: a second false would have arrived first.
      await timeouts.settled();
      const later = waitFor(listener, 'message:new', (m) => m.body === 'later');
      await sendOver(typist, conversation.id, 'later');
      await later;
      expect(heard.map((p) => p.isTyping)).toEqual([true, false]);
    });

    it('should refuse typing from non-members and malformed payloads', async () => {
      const [alice, bob, mallory] = await users(3);
      const conversation = await createConversation(alice, [bob.id]);
      const socket = await connect(sut.url, mallory.token);
      expect(await emitAck(socket, 'typing', { conversationId: conversation.id, isTyping: true })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(socket, 'typing', { conversationId: MISSING_ID, isTyping: true })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await emitAck(socket, 'typing', { conversationId: conversation.id, isTyping: 'yes' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
    });
  });

  describe('presence', () => {
    it('should let a user watch themself and users sharing a conversation, and refuse others', async () => {
      const [alice, bob, stranger] = await users(3);
      await createConversation(alice, [bob.id]);
      const aliceSocket = await connect(sut.url, alice.token);

      const own = await emitAck(aliceSocket, 'subscribe', { channel: `presence:${alice.id}` });
      expect(own).toEqual({
        ok: true,
        data: {
          channel: `presence:${alice.id}`,
          snapshot: { userId: alice.id, online: true, lastSeenAt: expect.any(String) },
        },
      });
      const bobs = await emitAck(aliceSocket, 'subscribe', { channel: `presence:${bob.id}` });
      expect(bobs).toEqual({
        ok: true,
        data: { channel: `presence:${bob.id}`, snapshot: { userId: bob.id, online: false, lastSeenAt: null } },
      });
      expect(await emitAck(aliceSocket, 'subscribe', { channel: `presence:${stranger.id}` })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(aliceSocket, 'subscribe', { channel: `presence:${MISSING_ID}` })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });

      const online = waitFor(aliceSocket, 'presence', (p) => p.userId === bob.id && p.online);
      const bobSocket = await connect(sut.url, bob.token);
      expect(await online).toEqual({ userId: bob.id, online: true, lastSeenAt: expect.any(String) });
      const offline = waitFor(aliceSocket, 'presence', (p) => p.userId === bob.id && !p.online);
      bobSocket.close();
      expect(await offline).toEqual({ userId: bob.id, online: false, lastSeenAt: expect.any(String) });
    });

    it('should answer GET /presence for visible users only', async () => {
      const [alice, bob, carol, stranger] = await users(4);
      await createConversation(alice, [bob.id, carol.id]);
      const watcher = await subscribed(alice, `presence:${bob.id}`);
      const online = waitFor(watcher, 'presence', (p) => p.online);
      await connect(sut.url, bob.token);
      await online;
      const res = await api.get(
        `/api/v1/presence?userIds=${[alice.id, bob.id, stranger.id, carol.id, MISSING_ID].join(',')}`,
        {
          token: alice.token,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          { userId: alice.id, online: true, lastSeenAt: expect.any(String) },
          { userId: bob.id, online: true, lastSeenAt: expect.any(String) },
          { userId: carol.id, online: false, lastSeenAt: null },
        ],
      });
      const strangers = await api.get(`/api/v1/presence?userIds=${alice.id}`, { token: stranger.token });
      expect(strangers.body).toEqual({ items: [] });

      const tooMany = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      for (const query of ['', '?userIds=', '?userIds=nope', `?userIds=${tooMany.join(',')}`]) {
        const bad = await api.get(`/api/v1/presence${query}`, { token: alice.token });
        expect({ query, status: bad.status, code: bad.body.code }).toEqual({
          query,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await api.get(`/api/v1/presence?userIds=${alice.id}`)).status).toBe(401);
    });
  });
});

describeE2E('Messaging with a long typing timeout and a low socket rate limit', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startApp({ TYPING_TIMEOUT_MS: '60000', WS_RATE_LIMIT: '5' });
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  async function pair() {
    const [alice, bob] = await createUsers(sut, 2, 'Slow');
    const res = await client(sut.url).post('/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id] },
    });
    return { alice, bob, conversationId: res.body.id as string };
  }

  it('should pass the first true, drop trues within 1 s, pass every false, and never echo to the typist', async () => {
    const { alice, bob, conversationId } = await pair();
    const channel = `conversation:${conversationId}`;
    const subscribed = async (token: string) => {
      const socket = await connect(sut.url, token);
      await emitAck(socket, 'subscribe', { channel });
      return socket;
    };
    const typist = await subscribed(alice.token);
    const typistOtherDevice = await subscribed(alice.token);
    const listener = await subscribed(bob.token);
    const heard = collect(listener, 'typing');
    const echoed = [...[typist, typistOtherDevice].map((s) => collect(s, 'typing'))];

    const payload = (isTyping: boolean) => ({ conversationId, isTyping });
    // Sent together so that all three land well within the 1 s window.
    const trues = await Promise.all([
      emitAck(typist, 'typing', payload(true)),
      emitAck(typist, 'typing', payload(true)),
      emitAck(typistOtherDevice, 'typing', payload(true)),
    ]);
    expect(trues).toEqual(Array(3).fill({ ok: true, data: {} }));
    expect(await emitAck(typist, 'typing', payload(false))).toEqual({ ok: true, data: {} });
    expect(await emitAck(typist, 'typing', payload(false))).toEqual({ ok: true, data: {} });
    // Barrier: a message sent after every typing ack reaches the three sockets after any typing event.
    const later = Promise.all(
      [listener, typist, typistOtherDevice].map((s) => waitFor(s, 'message:new', (m) => m.body === 'later')),
    );
    await sendOver(typist, conversationId, 'later');
    await later;
    expect(heard).toEqual([
      { conversationId, userId: alice.id, isTyping: true },
      { conversationId, userId: alice.id, isTyping: false },
      { conversationId, userId: alice.id, isTyping: false },
    ]);
    expect(echoed).toEqual([[], []]);
  });

  it("should send isTyping:false when the typist's last socket leaves", async () => {
    const { alice, bob, conversationId } = await pair();
    const listener = await connect(sut.url, bob.token);
    await emitAck(listener, 'subscribe', { channel: `conversation:${conversationId}` });
    const typist = await connect(sut.url, alice.token);
    const secondDevice = await connect(sut.url, alice.token);
    const heard = collect(listener, 'typing');
    const started = waitFor(listener, 'typing', (p) => p.isTyping);
    await emitAck(typist, 'typing', { conversationId, isTyping: true });
    await started;
    const checked = typingCheckedOnLeave(sut, alice.id);
    typist.close();
    await checked;
    // Barrier: a message sent once the server has handled the close reaches the listener after anything it published.
    const later = waitFor(listener, 'message:new', (m) => m.body === 'later');
    await sendOver(secondDevice, conversationId, 'later');
    await later;
    expect(heard.map((p) => p.isTyping)).toEqual([true]);
    const stopped = waitFor(listener, 'typing', (p) => p.isTyping === false);
    secondDevice.close();
    expect(await stopped).toEqual({ conversationId, userId: alice.id, isTyping: false });
  });

  it('should apply the socket rate limit to message:send and typing', async () => {
    const { alice, conversationId } = await pair();
    const socket = await connect(sut.url, alice.token);
    // A burst of 10 passes at 5 events/s; the 14 after it come faster than the bucket refills.
    const acks = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0
          ? emitAck(socket, 'typing', { conversationId, isTyping: false })
          : emitAck(socket, 'message:send', { conversationId, body: `m${i}` }),
      ),
    );
    const codes = acks.map((ack) => (ack.ok ? 'ok' : ack.error.code));
    expect(codes.filter((_, i) => i % 2 === 0)).toContain('RATE_LIMITED');
    expect(codes.filter((_, i) => i % 2 === 1)).toContain('RATE_LIMITED');
    expect(codes.filter((c) => c !== 'ok' && c !== 'RATE_LIMITED')).toEqual([]);
  });
});

describeE2E('Messaging with a typing timeout shorter than the typing throttle', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startApp({ TYPING_TIMEOUT_MS: '100' });
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should drop a true within 1000 ms of a passed one even after the timeout sent false', async () => {
    const [alice, bob] = await createUsers(sut, 2, 'Quick');
    const conversationId = (
      await client(sut.url).post('/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } })
    ).body.id as string;
    const listener = await connect(sut.url, bob.token);
    await emitAck(listener, 'subscribe', { channel: `conversation:${conversationId}` });
    const typist = await connect(sut.url, alice.token);
    const heard = collect(listener, 'typing');
    const timeouts = watchTypingTimeouts(sut, conversationId, alice.id);

    const passedAt = Date.now();
    await emitAck(typist, 'typing', { conversationId, isTyping: true });
    await waitFor(listener, 'typing', (p) => p.isTyping === false);
    // The timeout's false does not end the throttle of the true that passed: this one comes within its 1000 ms.
    expect(await emitAck(typist, 'typing', { conversationId, isTyping: true })).toEqual({ ok: true, data: {} });
    expect(Date.now() - passedAt).toBeLessThan(1000);
    await timeouts.settled();
    // Barrier: a message sent once no timeout is left reaches the listener after anything typing published.
    const later = waitFor(listener, 'message:new', (m) => m.body === 'later');
    await sendOver(typist, conversationId, 'later');
    await later;
    expect(heard.filter((p) => p.isTyping)).toEqual([{ conversationId, userId: alice.id, isTyping: true }]);
  });
});
