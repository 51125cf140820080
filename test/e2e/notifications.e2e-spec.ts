import type { Socket } from 'socket.io-client';
import { type TestApp, startApp } from '../helpers/app.js';
import { createUsers, loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, emitAck, waitFor } from '../helpers/sockets.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** Every event a socket receives, in arrival order. */
function record(socket: Socket): { event: string; payload: any }[] {
  const seen: { event: string; payload: any }[] = [];
  socket.onAny((event: string, payload: unknown) => seen.push({ event, payload }));
  return seen;
}

function unreadIs(socket: Socket, count: number): Promise<{ count: number }> {
  return waitFor(socket, 'notifications:unread', (p: { count: number }) => p.count === count);
}

function shuffled<T>(values: T[]): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describeE2E('Notifications', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;
  let admin: TestUser;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
    admin = await loginAdmin(sut);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  async function notify(userIds: string[], extra: Record<string, unknown> = {}): Promise<any[]> {
    const res = await api.post('/api/v1/notifications', {
      token: admin.token,
      body: { userIds, type: 'test.event', title: 'Hello', ...extra },
    });
    expect(res.status).toBe(201);
    return res.body.items;
  }

  async function unreadCount(user: TestUser): Promise<number> {
    const res = await api.get('/api/v1/notifications/unread-count', { token: user.token });
    expect(res.status).toBe(200);
    return res.body.count;
  }

  /** Every notification of the user after `afterSeq`, oldest first, following nextCursor. */
  async function resync(user: TestUser, afterSeq: number, limit = 100): Promise<any[]> {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const suffix: string = cursor ? `&cursor=${cursor}` : '';
      const res = await api.get(`/api/v1/notifications?afterSeq=${afterSeq}&limit=${limit}${suffix}`, {
        token: user.token,
      });
      expect(res.status).toBe(200);
      all.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return all;
  }

  describe('create', () => {
    it('should answer 201 with one Notification per distinct user, in the contract shape', async () => {
      const [a, b] = await createUsers(sut, 2, 'Recipient');
      const res = await api.post('/api/v1/notifications', {
        token: admin.token,
        body: {
          userIds: [a.id, b.id, a.id.toUpperCase()],
          type: 'suggestion.vote',
          title: 'You got a vote',
          data: { suggestionId: UNKNOWN_ID, nested: { list: [1, 'two', null] } },
          extra: 'ignored',
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        items: [
          {
            id: expect.any(String),
            seq: 1,
            userId: a.id,
            type: 'suggestion.vote',
            title: 'You got a vote',
            body: null,
            data: { suggestionId: UNKNOWN_ID, nested: { list: [1, 'two', null] } },
            readAt: null,
            createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
          },
          expect.objectContaining({ userId: b.id, seq: 1, body: null, readAt: null }),
        ],
      });
      const second = await notify([a.id], { body: 'Second' });
      expect(second).toEqual([expect.objectContaining({ userId: a.id, seq: 2, body: 'Second', data: {} })]);
      expect(await unreadCount(a)).toBe(2);
      expect(await unreadCount(b)).toBe(1);
    });

    it('should notify 1000 users in one request and refuse 1001 ids', async () => {
      const users = await createUsers(sut, 1001, 'Crowd');
      const ids = users.map((u) => u.id);
      const refused = await api.post('/api/v1/notifications', {
        token: admin.token,
        body: { userIds: ids, type: 'test.event', title: 'Too many' },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('VALIDATION_FAILED');
      const items = await notify(ids.slice(0, 1000));
      expect(items).toHaveLength(1000);
      expect(items.map((n) => n.userId)).toEqual(ids.slice(0, 1000));
      expect(new Set(items.map((n) => n.seq))).toEqual(new Set([1]));
      expect(await unreadCount(users[999])).toBe(1);
      expect(await unreadCount(users[1000])).toBe(0);
    });
    it('should document every route in the OpenAPI document', async () => {
      const spec = await api.get('/docs-json');
      expect(
        Object.keys(spec.body.paths)
          .filter((p) => p.startsWith('/api/v1/notifications'))
          .sort(),
      ).toEqual([
        '/api/v1/notifications',
        '/api/v1/notifications/read-all',
        '/api/v1/notifications/unread-count',
        '/api/v1/notifications/{id}/read',
      ]);
      expect(spec.body.components.schemas.NotificationDto.required).toEqual(
        expect.arrayContaining(['id', 'seq', 'userId', 'type', 'title', 'body', 'data', 'readAt', 'createdAt']),
      );
    });
  });

  describe('devices in step', () => {
    it('should keep two devices of one user in step through create, read and read-all, and tell a third user nothing', async () => {
      const [owner, bystander] = await createUsers(sut, 2, 'Devices');
      const phone = await connect(sut.url, owner.token);
      const laptop = await connect(sut.url, owner.token);
      const other = await connect(sut.url, bystander.token);
      const phoneLog = record(phone);
      const laptopLog = record(laptop);
      const otherLog = record(other);

      let counts = [unreadIs(phone, 1), unreadIs(laptop, 1)];
      const [first] = await notify([owner.id], { title: 'First' });
      await Promise.all(counts);
      counts = [unreadIs(phone, 2), unreadIs(laptop, 2)];
      const [second] = await notify([owner.id], { title: 'Second' });
      await Promise.all(counts);

      counts = [unreadIs(phone, 1), unreadIs(laptop, 1)];
      const viaWs = await emitAck(phone, 'notification:read', { id: first.id });
      expect(viaWs).toEqual({ ok: true, data: { unreadCount: 1 } });
      await Promise.all(counts);

      const again = await api.post(`/api/v1/notifications/${first.id}/read`, { token: owner.token });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ unreadCount: 1 });

      counts = [unreadIs(phone, 0), unreadIs(laptop, 0)];
      const readAll = await emitAck(laptop, 'notification:read_all', {});
      expect(readAll).toEqual({ ok: true, data: { unreadCount: 0 } });
      await Promise.all(counts);
      const readAllAgain = await api.post('/api/v1/notifications/read-all', { token: owner.token });
      expect(readAllAgain.status).toBe(200);
      expect(readAllAgain.body).toEqual({ unreadCount: 0 });

      // A fence: once this arrives, anything sent earlier has arrived too.
      counts = [unreadIs(phone, 1), unreadIs(laptop, 1), unreadIs(other, 1)];
      await notify([owner.id, bystander.id], { title: 'Fence' });
      await Promise.all(counts);

      const expected = [
        { event: 'notification', payload: { ...first } },
        { event: 'notifications:unread', payload: { count: 1, version: 1 } },
        { event: 'notification', payload: { ...second } },
        { event: 'notifications:unread', payload: { count: 2, version: 2 } },
        { event: 'notifications:unread', payload: { count: 1, version: 3 } },
        { event: 'notifications:unread', payload: { count: 0, version: 4 } },
        { event: 'notification', payload: expect.objectContaining({ title: 'Fence', seq: 3 }) },
        { event: 'notifications:unread', payload: { count: 1, version: 5 } },
      ];
      expect(phoneLog).toEqual(expected);
      expect(laptopLog).toEqual(expected);
      expect(otherLog).toEqual([
        { event: 'notification', payload: expect.objectContaining({ title: 'Fence', userId: bystander.id, seq: 1 }) },
        { event: 'notifications:unread', payload: { count: 1, version: 1 } },
      ]);

      const list = await api.get('/api/v1/notifications', { token: owner.token });
      expect(list.body.items.map((n: any) => [n.seq, n.readAt === null])).toEqual([
        [3, true],
        [2, false],
        [1, false],
      ]);
    });
  });

  describe('listing and resync', () => {
    it('should resync exactly the three notifications a socket missed while offline, in order', async () => {
      const [user, someoneElse] = await createUsers(sut, 2, 'Offline');
      const socket = await connect(sut.url, user.token);
      const seen = waitFor(socket, 'notification');
      await notify([user.id], { title: 'Seen' });
      const lastSeen = (await seen).seq as number;
      socket.close();

      const missed = [];
      for (const title of ['One', 'Two', 'Three']) {
        missed.push(...(await notify([user.id], { title })));
        await notify([someoneElse.id], { title: `${title} (not yours)` });
      }

      const back = await connect(sut.url, user.token);
      expect(back.connected).toBe(true);
      const res = await api.get(`/api/v1/notifications?afterSeq=${lastSeen}`, { token: user.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: missed, nextCursor: null });
      expect(res.body.items.map((n: any) => [n.seq, n.title])).toEqual([
        [lastSeen + 1, 'One'],
        [lastSeen + 2, 'Two'],
        [lastSeen + 3, 'Three'],
      ]);

      const firstPage = await api.get(`/api/v1/notifications?afterSeq=${lastSeen}&limit=2`, { token: user.token });
      expect(firstPage.body.items.map((n: any) => n.title)).toEqual(['One', 'Two']);
      expect(firstPage.body.nextCursor).toEqual(expect.any(String));
      const nextPage = await api.get(
        `/api/v1/notifications?afterSeq=${lastSeen}&limit=2&cursor=${firstPage.body.nextCursor}`,
        { token: user.token },
      );
      expect(nextPage.body).toEqual({ items: [missed[2]], nextCursor: null });
      const upToDate = await api.get(`/api/v1/notifications?afterSeq=${lastSeen + 3}`, { token: user.token });
      expect(upToDate.body).toEqual({ items: [], nextCursor: null });
    });

    it('should list own notifications newest first with cursor pages, and only unread ones with unread=true', async () => {
      const [user] = await createUsers(sut, 1, 'Lister');
      const created = [];
      for (let i = 1; i <= 5; i += 1) created.push(...(await notify([user.id], { title: `N${i}` })));
      for (const n of [created[1], created[3]]) {
        expect((await api.post(`/api/v1/notifications/${n.id}/read`, { token: user.token })).status).toBe(200);
      }

      const titles = async (query: string): Promise<{ titles: string[]; nextCursor: string | null }> => {
        const res = await api.get(`/api/v1/notifications${query}`, { token: user.token });
        expect(res.status).toBe(200);
        return { titles: res.body.items.map((n: any) => n.title), nextCursor: res.body.nextCursor };
      };
      const p1 = await titles('?limit=2');
      expect(p1.titles).toEqual(['N5', 'N4']);
      const p2 = await titles(`?limit=2&cursor=${p1.nextCursor}`);
      expect(p2.titles).toEqual(['N3', 'N2']);
      const p3 = await titles(`?limit=2&cursor=${p2.nextCursor}`);
      expect(p3).toEqual({ titles: ['N1'], nextCursor: null });

      const u1 = await titles('?unread=true&limit=2');
      expect(u1.titles).toEqual(['N5', 'N3']);
      expect(await titles(`?unread=true&limit=2&cursor=${u1.nextCursor}`)).toEqual({
        titles: ['N1'],
        nextCursor: null,
      });
      expect((await titles('?unread=true&afterSeq=1')).titles).toEqual(['N3', 'N5']);
      expect((await titles('?unread=false')).titles).toEqual(['N5', 'N4', 'N3', 'N2', 'N1']);

      const read = await api.get('/api/v1/notifications?limit=5', { token: user.token });
      expect(read.body.items[1]).toEqual({ ...created[3], readAt: expect.any(String) });
      expect(await unreadCount(user)).toBe(3);
    });
  });

  describe('concurrency', () => {
    it('should give 100 concurrent creations for one user 100 distinct consecutive seqs', async () => {
      // Ten times the pool. In embedded mode each transaction waits its turn on PGlite's one backend, and a request
      // that waits more than 10 s for a connection is answered 503: 200 at once did that in a loaded CI run.
      const BURST = 100;
      const [user] = await createUsers(sut, 1, 'Busy');
      const socket = await connect(sut.url, user.token);
      const seqs = new Set<number>();
      const allArrived = new Promise<void>((resolve) =>
        socket.on('notification', (n: { seq: number }) => {
          seqs.add(n.seq);
          if (seqs.size === BURST) resolve();
        }),
      );
      const responses = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          api.post('/api/v1/notifications', {
            token: admin.token,
            body: { userIds: [user.id], type: 'test.burst', title: `Burst ${i}` },
          }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(BURST).fill(201));
      const created = responses.map((r) => r.body.items[0].seq as number).sort((a, b) => a - b);
      expect(created).toEqual(Array.from({ length: BURST }, (_, i) => i + 1));

      await allArrived;
      expect([...seqs].sort((a, b) => a - b)).toEqual(created);
      expect(await unreadCount(user)).toBe(BURST);
      const stored = await resync(user, 0);
      expect(stored.map((n) => n.seq)).toEqual(created);
    });

    it('should run 20 concurrent overlapping batches without deadlock, each user getting seqs 1..20', async () => {
      const users = await createUsers(sut, 6, 'Batch');
      const ids = users.map((u) => u.id);
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.post('/api/v1/notifications', {
            token: admin.token,
            body: { userIds: shuffled(ids), type: 'test.batch', title: `Batch ${i}` },
          }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
      for (const user of users) {
        const stored = await resync(user, 0);
        expect(stored.map((n) => n.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(await unreadCount(user)).toBe(20);
      }
    });
  });

  describe('bad input', () => {
    it('should refuse creation by a non-admin with 403, and bad bodies with 400 VALIDATION_FAILED', async () => {
      const [user] = await createUsers(sut, 1, 'Validator');
      const asUser = await api.post('/api/v1/notifications', {
        token: user.token,
        body: { userIds: [user.id], type: 'x', title: 'x' },
      });
      expect(asUser.status).toBe(403);
      expect(asUser.body.code).toBe('FORBIDDEN');
      expect((await api.post('/api/v1/notifications', { body: { userIds: [user.id] } })).status).toBe(401);

      const cases: [Record<string, unknown>, string][] = [
        [{ userIds: [], type: 't', title: 't' }, 'userIds'],
        [{ userIds: ['not-a-uuid'], type: 't', title: 't' }, 'userIds'],
        [{ userIds: user.id, type: 't', title: 't' }, 'userIds'],
        [{ userIds: [user.id], type: '', title: 't' }, 'type'],
        [{ userIds: [user.id], type: 'x'.repeat(101), title: 't' }, 'type'],
        [{ userIds: [user.id], type: 't', title: '   ' }, 'title'],
        [{ userIds: [user.id], type: 't', title: 'x'.repeat(201) }, 'title'],
        [{ userIds: [user.id], type: 't', title: 't', body: 'x'.repeat(2001) }, 'body'],
        [{ userIds: [user.id], type: 't', title: 't', data: [1, 2] }, 'data'],
        [{ userIds: [user.id], type: 't', title: 't', data: 'text' }, 'data'],
        [{ userIds: [user.id], type: 't', title: 't', data: { big: 'x'.repeat(20_000) } }, 'data'],
      ];
      for (const [body, field] of cases) {
        const res = await api.post('/api/v1/notifications', { token: admin.token, body });
        expect({ field, status: res.status, code: res.body.code }).toEqual({
          field,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      }
      expect(await unreadCount(user)).toBe(0);
    });

    it('should refuse unknown user ids with 404 NOT_FOUND and write nothing', async () => {
      const [user] = await createUsers(sut, 1, 'Partial');
      const socket = await connect(sut.url, user.token);
      const log = record(socket);
      const res = await api.post('/api/v1/notifications', {
        token: admin.token,
        body: { userIds: [user.id, UNKNOWN_ID], type: 'test.event', title: 'Half' },
      });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', details: { userIds: [UNKNOWN_ID] } });
      expect(await unreadCount(user)).toBe(0);
      expect((await api.get('/api/v1/notifications', { token: user.token })).body.items).toEqual([]);

      const counted = unreadIs(socket, 1);
      const [next] = await notify([user.id], { title: 'Whole' });
      expect(next.seq).toBe(1);
      await counted;
      expect(log.map((e) => e.event)).toEqual(['notification', 'notifications:unread']);
    });

    it("should answer reads of another user's notification with 403, unknown ones with 404 and malformed ids with 400", async () => {
      const [owner, intruder] = await createUsers(sut, 2, 'Reader');
      const [mine] = await notify([owner.id]);

      const theirs = await api.post(`/api/v1/notifications/${mine.id}/read`, { token: intruder.token });
      expect(theirs.status).toBe(403);
      expect(theirs.body.code).toBe('FORBIDDEN');
      const unknown = await api.post(`/api/v1/notifications/${UNKNOWN_ID}/read`, { token: owner.token });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
      const malformed = await api.post('/api/v1/notifications/nope/read', { token: owner.token });
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('VALIDATION_FAILED');

      const socket = await connect(sut.url, intruder.token);
      expect(await emitAck(socket, 'notification:read', { id: mine.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(socket, 'notification:read', { id: UNKNOWN_ID })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await emitAck(socket, 'notification:read', { id: 'nope' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      expect(await emitAck(socket, 'notification:read', 'nope')).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });

      expect(await unreadCount(owner)).toBe(1);
      const list = await api.get('/api/v1/notifications', { token: owner.token });
      expect(list.body.items[0].readAt).toBeNull();
    });

    it('should refuse bad list queries with 400 VALIDATION_FAILED', async () => {
      const [user] = await createUsers(sut, 1, 'Query');
      await notify([user.id]);
      await notify([user.id]);
      const ascending = await api.get('/api/v1/notifications?afterSeq=0&limit=1', { token: user.token });
      const descending = await api.get('/api/v1/notifications?limit=1', { token: user.token });
      for (const query of [
        '?limit=0',
        '?limit=101',
        '?afterSeq=-1',
        '?afterSeq=abc',
        '?unread=maybe',
        '?cursor=garbage',
        `?cursor=${ascending.body.nextCursor}`,
        `?afterSeq=0&cursor=${descending.body.nextCursor}`,
      ]) {
        const res = await api.get(`/api/v1/notifications${query}`, { token: user.token });
        expect({ query, status: res.status, code: res.body.code }).toEqual({
          query,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    });

    it('should answer read-all and unread-count for a user who never had a notification', async () => {
      const user = await registerUser(sut, 'Quiet');
      expect(await unreadCount(user)).toBe(0);
      const res = await api.post('/api/v1/notifications/read-all', { token: user.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ unreadCount: 0 });
      const socket = await connect(sut.url, user.token);
      expect(await emitAck(socket, 'notification:read_all', {})).toEqual({ ok: true, data: { unreadCount: 0 } });
      expect(await emitAck(socket, 'notification:read_all')).toEqual({ ok: true, data: { unreadCount: 0 } });
    });
  });
});
