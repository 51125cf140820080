import type { Socket } from 'socket.io-client';
import { RealtimeServer } from '../../src/realtime/realtime.server.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, eventually, waitFor } from '../helpers/sockets.js';

const MISSING = '00000000-0000-4000-8000-000000000000';
const channelOf = (id: string) => `resource:updates:${id}`;

/** Every event a socket receives, in arrival order. */
function record(socket: Socket): [string, any][] {
  const seen: [string, any][] = [];
  socket.onAny((event: string, payload: unknown) => seen.push([event, payload]));
  return seen;
}

describeE2E('Resources', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;
  let owner: TestUser;
  let other: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
    owner = await registerUser(sut, 'Owner');
    other = await registerUser(sut, 'Other');
    admin = await loginAdmin(sut);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  const create = async (body: Record<string, unknown> = {}, token = owner.token) => {
    const res = await api.post('/api/v1/resources', {
      token,
      body: { name: 'Board', visibility: 'public', data: { cards: [] }, ...body },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const patch = (id: string, body: unknown, token = owner.token, headers: Record<string, string> = {}) =>
    api.patch(`/api/v1/resources/${id}`, { token, body, headers });

  describe('CRUD', () => {
    it('should create at version 1, read, update, list and delete', async () => {
      const res = await api.post('/api/v1/resources', {
        token: owner.token,
        body: { name: '  Team board  ', visibility: 'private', data: { columns: ['todo'] } },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('etag')).toBe('"1"');
      const created = res.body;
      expect(created).toEqual({
        id: expect.any(String),
        ownerId: owner.id,
        name: 'Team board',
        visibility: 'private',
        data: { columns: ['todo'] },
        version: 1,
        updatedBy: owner.id,
        updatedAt: expect.any(String),
      });
      expect(new Date(created.updatedAt).toISOString()).toBe(created.updatedAt);

      const read = await api.get(`/api/v1/resources/${created.id}`, { token: owner.token });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created);
      expect(read.headers.get('etag')).toBe('"1"');

      const updated = await patch(created.id, { name: 'Renamed', data: { columns: ['todo', 'done'], x: 1 } });
      expect(updated.status).toBe(200);
      expect(updated.headers.get('etag')).toBe('"2"');
      expect(updated.body).toMatchObject({ name: 'Renamed', version: 2, data: { columns: ['todo', 'done'], x: 1 } });
      expect(Date.parse(updated.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

      const list = await api.get('/api/v1/resources', { token: owner.token });
      expect(list.status).toBe(200);
      expect(list.body.items).toContainEqual(updated.body);

      const deleted = await api.delete(`/api/v1/resources/${created.id}`, { token: owner.token });
      expect(deleted.status).toBe(204);
      expect((await api.get(`/api/v1/resources/${created.id}`, { token: owner.token })).status).toBe(404);
      expect((await api.delete(`/api/v1/resources/${created.id}`, { token: owner.token })).status).toBe(404);
    });

    it('should apply data as a JSON merge patch, with either content type', async () => {
      const r = await create({ data: { a: { b: 1, c: 2 }, list: [1, 2], keep: true } });
      const merged = await patch(
        r.id,
        { data: { a: { b: null, d: { e: null, f: 'x' } }, list: [3], added: 0 } },
        owner.token,
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(merged.status).toBe(200);
      expect(merged.body.data).toEqual({ a: { c: 2, d: { f: 'x' } }, list: [3], keep: true, added: 0 });
      const plain = await patch(r.id, { data: { keep: null } }, owner.token, { 'content-type': 'application/json' });
      expect(plain.body).toMatchObject({ version: 3, data: { a: { c: 2, d: { f: 'x' } }, list: [3], added: 0 } });
      expect('keep' in plain.body.data).toBe(false);
    });

    it('should keep member names such as __proto__ as data', async () => {
      const res = await api.post('/api/v1/resources', {
        token: owner.token,
        raw: '{"name":"Proto","visibility":"public","data":{"__proto__":{"x":1},"constructor":2}}',
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body.data).sort()).toEqual(['__proto__', 'constructor']);
      const patched = await api.patch(`/api/v1/resources/${res.body.id}`, {
        token: owner.token,
        raw: '{"data":{"__proto__":{"y":2}}}',
      });
      expect(JSON.stringify(patched.body.data)).toContain('"__proto__":{"x":1,"y":2}');
    });

    it('should ignore unknown fields and never let them change the owner or the version', async () => {
      const r = await create();
      const res = await patch(r.id, { name: 'Mine', ownerId: other.id, version: 99, updatedBy: other.id, id: MISSING });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: r.id, ownerId: owner.id, version: 2, updatedBy: owner.id, name: 'Mine' });
    });

    it('should refuse bad input with VALIDATION_FAILED and unknown ids with NOT_FOUND', async () => {
      const bad: unknown[] = [
        { visibility: 'public', data: {} },
        { name: '', visibility: 'public', data: {} },
        { name: '   ', visibility: 'public', data: {} },
        { name: 'x'.repeat(201), visibility: 'public', data: {} },
        { name: 'nul\u0000', visibility: 'public', data: {} },
        { name: 'x', visibility: 'secret', data: {} },
        { name: 'x', data: {} },
        { name: 'x', visibility: 'public' },
        { name: 'x', visibility: 'public', data: [] },
        { name: 'x', visibility: 'public', data: null },
        { name: 'x', visibility: 'public', data: 'text' },
        { name: 'x', visibility: 'public', data: { s: 'nul\u0000' } },
        { name: 'x', visibility: 'public', data: { s: '\ud800' } },
      ];
      for (const body of bad) {
        const res = await api.post('/api/v1/resources', { token: owner.token, body });
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await api.post('/api/v1/resources', { token: owner.token, raw: '{"name":' })).status).toBe(400);
      const ok = await create({ name: 'x'.repeat(200) });

      const badPatches: unknown[] = [
        {},
        { unknown: 1 },
        { name: null },
        { name: '' },
        { visibility: null },
        { visibility: 'hidden' },
        { data: null },
        { data: [1] },
        { data: 5 },
        { data: { k: '\udc00' } },
      ];
      for (const body of badPatches) {
        const res = await patch(ok.id, body);
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      for (const raw of ['[1]', '"text"', '{"data":{"a":1}']) {
        const res = await api.patch(`/api/v1/resources/${ok.id}`, { token: owner.token, raw });
        expect({ raw, status: res.status, code: res.body.code }).toEqual({
          raw,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      const textPlain = await api.patch(`/api/v1/resources/${ok.id}`, {
        token: owner.token,
        raw: '{"name":"x"}',
        headers: { 'content-type': 'text/plain' },
      });
      expect(textPlain.status).toBe(400);
      const after = await api.get(`/api/v1/resources/${ok.id}`, { token: owner.token });
      expect(after.body.version).toBe(1);

      expect((await api.get('/api/v1/resources/not-a-uuid', { token: owner.token })).status).toBe(400);
      expect((await api.get(`/api/v1/resources/${MISSING}`, { token: owner.token })).body.code).toBe('NOT_FOUND');
      expect((await patch(MISSING, { name: 'x' })).body.code).toBe('NOT_FOUND');
      expect((await api.delete(`/api/v1/resources/${MISSING}`, { token: owner.token })).status).toBe(404);
      expect((await api.get('/api/v1/resources?limit=0', { token: owner.token })).status).toBe(400);
      expect((await api.get('/api/v1/resources?cursor=garbage', { token: owner.token })).status).toBe(400);
      const forged = Buffer.from(JSON.stringify(['not a date', 'not a uuid'])).toString('base64url');
      expect((await api.get(`/api/v1/resources?cursor=${forged}`, { token: owner.token })).status).toBe(400);
      expect((await api.get('/api/v1/resources')).status).toBe(401);
    });

    it('should refuse deeply nested data with VALIDATION_FAILED, never a 500', async () => {
      const depth = 5000;
      const data = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const res = await api.post('/api/v1/resources', {
        token: owner.token,
        raw: `{"name":"Deep","visibility":"public","data":${data}}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const r = await create();
      const deepPatch = await api.patch(`/api/v1/resources/${r.id}`, { token: owner.token, raw: `{"data":${data}}` });
      expect(deepPatch.status).toBe(400);
      const junk = await api.patch(`/api/v1/resources/${r.id}`, {
        token: owner.token,
        raw: `{"name":"ok","junk":${data}}`,
      });
      expect(junk.body).toMatchObject({ name: 'ok', version: 2 });
      const deepName = await api.patch(`/api/v1/resources/${r.id}`, { token: owner.token, raw: `{"name":${data}}` });
      expect(deepName.status).toBe(400);
    });

    it('should document the routes in OpenAPI, PATCH with both content types and If-Match', async () => {
      const doc = (await api.get('/docs-json')).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/resources', '/api/v1/resources/{id}']));
      const patchOp = doc.paths['/api/v1/resources/{id}'].patch;
      expect(Object.keys(patchOp.requestBody.content).sort()).toEqual([
        'application/json',
        'application/merge-patch+json',
      ]);
      expect(patchOp.parameters.map((p: { name: string }) => p.name)).toContain('If-Match');
      expect(doc.paths['/api/v1/resources'].post.requestBody.content['application/json'].schema.$ref).toMatch(
        /CreateResourceDto/,
      );
    });
  });

  describe('size limit', () => {
    it('should refuse data over 64 KiB with 413 PAYLOAD_TOO_LARGE on create and on patch, writing nothing', async () => {
      const big = { blob: 'x'.repeat(64 * 1024) };
      const tooBig = await api.post('/api/v1/resources', {
        token: owner.token,
        body: { name: 'Big', visibility: 'public', data: big },
      });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: 65536 } });

      const exact = { blob: 'x'.repeat(64 * 1024 - 11) }; // {"blob":"…"} is 11 bytes around the string
      const fits = await create({ data: exact });
      expect(fits.data).toEqual(exact);

      const grow = await patch(fits.id, { name: 'Renamed too', data: { more: 'y' } });
      expect(grow.status).toBe(413);
      expect(grow.body.code).toBe('PAYLOAD_TOO_LARGE');
      const after = await api.get(`/api/v1/resources/${fits.id}`, { token: owner.token });
      expect(after.body).toMatchObject({ version: 1, name: 'Board', data: exact });

      const shrink = await patch(fits.id, { data: { blob: null, small: 1 } });
      expect(shrink.body).toMatchObject({ version: 2, data: { small: 1 } });

      // Past the 256 KiB REST body limit, the body is refused before its data is read: the details name that limit.
      const blob = 'x'.repeat(400 * 1024);
      const huge = await api.post('/api/v1/resources', {
        token: owner.token,
        body: { name: 'Huge', visibility: 'public', data: { blob } },
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: 256 * 1024 } });
      expect(huge.body.details.bytes).toBeGreaterThan(blob.length);
    });
  });

  describe('access', () => {
    it('should let any user read public resources and only the owner and admins read private ones (403 otherwise)', async () => {
      const pub = await create({ name: 'Public one' });
      const priv = await create({ name: 'Private one', visibility: 'private' });
      expect((await api.get(`/api/v1/resources/${pub.id}`, { token: other.token })).status).toBe(200);
      const hidden = await api.get(`/api/v1/resources/${priv.id}`, { token: other.token });
      expect(hidden.status).toBe(403);
      expect(hidden.body.code).toBe('FORBIDDEN');
      expect((await api.get(`/api/v1/resources/${priv.id}`, { token: admin.token })).status).toBe(200);
      expect((await api.get(`/api/v1/resources/${priv.id}`, { token: owner.token })).status).toBe(200);
    });

    it('should list public resources, the caller’s own private ones, and everything for admins', async () => {
      const mine = await create({ name: 'Other’s private', visibility: 'private' }, other.token);
      const theirs = await create({ name: 'Owner’s private', visibility: 'private' });
      const pub = await create({ name: 'Owner’s public' });
      const idsFor = async (token: string) => {
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const res: any = await api.get(`/api/v1/resources?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token });
          ids.push(...res.body.items.map((r: { id: string }) => r.id));
          cursor = res.body.nextCursor;
        } while (cursor);
        return ids;
      };
      const seenByOther = await idsFor(other.token);
      expect(seenByOther).toEqual(expect.arrayContaining([mine.id, pub.id]));
      expect(seenByOther).not.toContain(theirs.id);
      expect(await idsFor(admin.token)).toEqual(expect.arrayContaining([mine.id, theirs.id, pub.id]));
    });

    it('should page newest-updated first with cursors, without repeats or gaps', async () => {
      const reader = await registerUser(sut, 'Pager');
      const [first, second, third] = [
        await create({ name: 'P1', visibility: 'private' }, reader.token),
        await create({ name: 'P2', visibility: 'private' }, reader.token),
        await create({ name: 'P3', visibility: 'private' }, reader.token),
      ];
      await patch(first.id, { name: 'P1 touched' }, reader.token);
      const seen: any[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: any = await api.get(`/api/v1/resources?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
          token: reader.token,
        });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBeGreaterThan(1);
      const ids = seen.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      const times = seen.map((r) => Date.parse(r.updatedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const own = ids.filter((id) => [first.id, second.id, third.id].includes(id));
      expect(own).toEqual([first.id, third.id, second.id]);
    });

    it('should let only the owner and admins patch and delete', async () => {
      const r = await create();
      const denied = await patch(r.id, { name: 'Hijack' }, other.token);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('FORBIDDEN');
      expect((await api.delete(`/api/v1/resources/${r.id}`, { token: other.token })).status).toBe(403);
      const byAdmin = await patch(r.id, { name: 'Moderated' }, admin.token);
      expect(byAdmin.body).toMatchObject({ version: 2, ownerId: owner.id, updatedBy: admin.id, name: 'Moderated' });
      expect((await api.delete(`/api/v1/resources/${r.id}`, { token: admin.token })).status).toBe(204);
    });

    it('should let only readers subscribe, with NOT_FOUND for a missing resource', async () => {
      const priv = await create({ visibility: 'private' });
      const socket = await connect(sut.url, other.token);
      expect(await emitAck(socket, 'subscribe:resource', { resourceId: priv.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(socket, 'subscribe', { channel: channelOf(priv.id) })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(socket, 'subscribe:resource', { resourceId: MISSING })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      expect(await emitAck(socket, 'subscribe', { channel: 'resource:updates:nope' })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      const adminSocket = await connect(sut.url, admin.token);
      expect(await emitAck(adminSocket, 'subscribe:resource', { resourceId: priv.id })).toMatchObject({ ok: true });
    });
  });

  describe('If-Match', () => {
    it('should accept the current version bare, quoted or weak, and refuse a stale one with currentVersion', async () => {
      const r = await create();
      const bare = await patch(r.id, { data: { n: 1 } }, owner.token, { 'if-match': '1' });
      expect(bare.body.version).toBe(2);
      const quoted = await patch(r.id, { data: { n: 2 } }, owner.token, { 'if-match': '"2"' });
      expect(quoted.body.version).toBe(3);
      const weak = await patch(r.id, { data: { n: 3 } }, owner.token, { 'if-match': 'W/"3"' });
      expect(weak.body.version).toBe(4);

      for (const stale of ['3', '"3"', '"1", "2"']) {
        const res = await patch(r.id, { data: { n: 99 } }, owner.token, { 'if-match': stale });
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ code: 'VERSION_CONFLICT', details: { currentVersion: 4 } });
      }
      const malformed = await patch(r.id, { data: { n: 99 } }, owner.token, { 'if-match': 'version-4' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('VALIDATION_FAILED');
      const read = await api.get(`/api/v1/resources/${r.id}`, { token: owner.token });
      expect(read.body).toMatchObject({ version: 4, data: { n: 3 } });

      const staleDelete = await api.delete(`/api/v1/resources/${r.id}`, {
        token: owner.token,
        headers: { 'if-match': '"3"' },
      });
      expect(staleDelete.status).toBe(409);
      expect(staleDelete.body.details).toEqual({ currentVersion: 4 });
      const any = await patch(r.id, { name: 'Any' }, owner.token, { 'if-match': '*' });
      expect(any.body.version).toBe(5);
    });

    it('should let exactly one of two writers based on the same version win', async () => {
      const r = await create();
      const [x, y] = await Promise.all([
        patch(r.id, { data: { by: 'x' } }, owner.token, { 'if-match': '"1"' }),
        patch(r.id, { data: { by: 'y' } }, admin.token, { 'if-match': '"1"' }),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      const loser = x.status === 409 ? x : y;
      expect(loser.body.details).toEqual({ currentVersion: 2 });
    });
  });

  describe('live updates', () => {
    it('should answer subscribe:resource with the resource as snapshot', async () => {
      const r = await create({ data: { hello: 'world' } });
      const socket = await connect(sut.url, other.token);
      const subscribed = waitFor(socket, 'subscribed');
      expect(await emitAck(socket, 'subscribe:resource', { resourceId: r.id })).toEqual({
        ok: true,
        data: { channel: channelOf(r.id), snapshot: r },
      });
      expect(await subscribed).toEqual({ channel: channelOf(r.id) });
      const upper = channelOf(r.id.toUpperCase()).replace('RESOURCE:UPDATES', 'resource:updates');
      expect(await emitAck(socket, 'subscribe', { channel: upper })).toEqual({
        ok: true,
        data: { channel: channelOf(r.id), snapshot: r },
      });
    });

    it('should publish one resource:update per version with the applied changes and the new state', async () => {
      const r = await create();
      const socket = await connect(sut.url, other.token);
      await emitAck(socket, 'subscribe:resource', { resourceId: r.id });
      const next = waitFor(socket, 'resource:update');
      const res = await patch(r.id.toUpperCase(), { name: '  Trimmed  ', data: { a: null, b: 1 }, extra: true });
      expect(await next).toEqual({
        resourceId: r.id,
        version: 2,
        changes: { name: 'Trimmed', data: { a: null, b: 1 } },
        resource: res.body,
        updatedBy: owner.id,
        updatedAt: res.body.updatedAt,
      });
    });

    it('should give 20 concurrent patches versions 2..21, each once, delivered in order', async () => {
      const r = await create({ data: {} });
      const socket = await connect(sut.url, other.token);
      await emitAck(socket, 'subscribe:resource', { resourceId: r.id });
      const events = collect(socket, 'resource:update');
      const last = waitFor(socket, 'resource:update', (p) => p.version === 21, 30_000);
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          patch(r.id, { data: { [`k${i}`]: i } }, i % 2 ? admin.token : owner.token),
        ),
      );
      expect(responses.map((res) => res.status)).toEqual(Array(20).fill(200));
      const versions = responses.map((res) => res.body.version as number);
      expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      await last;
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      responses.forEach((res, i) => {
        const event = events.find((e) => e.version === res.body.version);
        expect(event.changes).toEqual({ data: { [`k${i}`]: i } });
        expect(event.resource).toEqual(res.body);
      });
      const final = await api.get(`/api/v1/resources/${r.id}`, { token: owner.token });
      expect(final.body.version).toBe(21);
      expect(final.body.data).toEqual(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])));
    });

    it('should remove a non-owner subscriber before a change that makes the resource private', async () => {
      const r = await create({ data: { note: 'public' } });
      const sentinel = await create({ name: 'Sentinel' });
      const ownerSocket = await connect(sut.url, owner.token);
      const adminSocket = await connect(sut.url, admin.token);
      const otherSocket = await connect(sut.url, other.token);
      for (const s of [ownerSocket, adminSocket, otherSocket]) {
        expect(await emitAck(s, 'subscribe:resource', { resourceId: r.id })).toMatchObject({ ok: true });
      }
      expect(await emitAck(otherSocket, 'subscribe:resource', { resourceId: sentinel.id })).toMatchObject({ ok: true });
      const otherLog = record(otherSocket);
      const ownerSees = waitFor(ownerSocket, 'resource:update', (p) => p.resourceId === r.id);
      const adminSees = waitFor(adminSocket, 'resource:update', (p) => p.resourceId === r.id);
      const removed = waitFor(otherSocket, 'unsubscribed');

      const res = await patch(r.id, { visibility: 'private', data: { note: 'secret' } });
      expect(res.status).toBe(200);
      expect(await removed).toEqual({ channel: channelOf(r.id), reason: 'FORBIDDEN' });
      expect((await ownerSees).resource).toMatchObject({ visibility: 'private', data: { note: 'secret' }, version: 2 });
      expect((await adminSees).version).toBe(2);

      // A later event on another channel of the same socket arrives after anything published before it.
      const sentinelSeen = waitFor(otherSocket, 'resource:update', (p) => p.resourceId === sentinel.id);
      await patch(sentinel.id, { name: 'Sentinel moved' });
      await sentinelSeen;
      expect(otherLog.map(([event, payload]) => [event, payload.resourceId ?? payload.channel])).toEqual([
        ['unsubscribed', channelOf(r.id)],
        ['resource:update', sentinel.id],
      ]);

      const ownerAgain = waitFor(ownerSocket, 'resource:update', (p) => p.version === 3);
      await patch(r.id, { data: { more: 1 } });
      expect((await ownerAgain).resource.data).toEqual({ note: 'secret', more: 1 });
      expect(await emitAck(otherSocket, 'subscribe:resource', { resourceId: r.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    });

    it('should deliver an update held for its predecessors before the deletion that follows it at once', async () => {
      const r = await create();
      for (const a of [1, 2]) {
        await api.patch(`/api/v1/resources/${r.id}`, { token: owner.token, body: { data: { a } } });
      }
      // Subscribed at version 3: here the stream is first seen with its third update, which waits briefly for
      // predecessors that might still be on their way from another instance.
      const socket = await connect(sut.url, other.token);
      await emitAck(socket, 'subscribe:resource', { resourceId: r.id });
      const heard: string[] = [];
      socket.on('resource:update', (u: { version: number }) => heard.push(`update ${u.version}`));
      const deleted = waitFor(socket, 'resource:deleted');
      socket.on('resource:deleted', () => heard.push('deleted'));
      const patched = await api.patch(`/api/v1/resources/${r.id}`, { token: owner.token, body: { data: { a: 3 } } });
      expect(patched.body.version).toBe(4);
      expect((await api.delete(`/api/v1/resources/${r.id}`, { token: owner.token })).status).toBe(204);
      await deleted;
      expect(heard).toEqual(['update 4', 'deleted']);
      const io = sut.app.get(RealtimeServer).server;
      await eventually(async () => expect(await io.in(channelOf(r.id)).fetchSockets()).toHaveLength(0));
    });

    it('should publish resource:deleted on delete and then empty the channel', async () => {
      const r = await create();
      const socket = await connect(sut.url, other.token);
      const ownerSocket = await connect(sut.url, owner.token);
      await emitAck(socket, 'subscribe:resource', { resourceId: r.id });
      await emitAck(ownerSocket, 'subscribe:resource', { resourceId: r.id });
      const deleted = waitFor(socket, 'resource:deleted');
      const ownerDeleted = waitFor(ownerSocket, 'resource:deleted');
      expect((await api.delete(`/api/v1/resources/${r.id}`, { token: owner.token })).status).toBe(204);
      expect(await deleted).toEqual({ resourceId: r.id });
      expect(await ownerDeleted).toEqual({ resourceId: r.id });
      const io = sut.app.get(RealtimeServer).server;
      // With the Redis adapter a room is emptied through Redis (its own instance included): shortly after the event.
      await eventually(async () => expect(await io.in(channelOf(r.id)).fetchSockets()).toHaveLength(0));
      expect(await emitAck(socket, 'subscribe:resource', { resourceId: r.id })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
    });
  });
});
