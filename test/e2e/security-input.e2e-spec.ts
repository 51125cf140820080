// Attack: malformed input aimed at the database. Cursors that are valid base64url of the wrong content, and
// strings holding U+0000 anywhere (REST body, query, JSON keys, socket payloads), must be 400 VALIDATION_FAILED,
// never a 500.
import { listCursorTag } from '../../src/common/list-cursor.interceptor.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client, type HttpResult } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, emitAck } from '../helpers/sockets.js';

/** A cursor holding `values`, made for the list at `path` as the lists make theirs (the list's tag, then the JSON). */
const cursorOf = (path: string, values: unknown): string =>
  `${listCursorTag(new URL(path, 'http://lists').pathname)}.${Buffer.from(JSON.stringify(values)).toString('base64url')}`;
const UUID = '0b8f2d1e-3c4a-4b5d-8e6f-7a8b9c0d1e2f';

function expectValidationFailed(res: HttpResult, what: string): void {
  expect({ what, status: res.status, code: res.body?.code }).toEqual({ what, status: 400, code: 'VALIDATION_FAILED' });
}

describeE2E('Security: malformed input never reaches Postgres as a 500', () => {
  let sut: TestApp;
  let admin: TestUser;
  let user: TestUser;
  let api: ReturnType<typeof client>;
  let jobId: string;
  let conversationId: string;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
    admin = await loginAdmin(sut);
    user = await registerUser(sut, 'Input Tester');
    const other = await registerUser(sut, 'Other');
    jobId = (await api.post('/api/v1/jobs', { token: user.token, body: { name: 'j' } })).body.id;
    conversationId = (await api.post('/api/v1/conversations', { token: user.token, body: { memberIds: [other.id] } }))
      .body.id;
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  const lists = (): [string, string][] => [
    ['/api/v1/users', user.token],
    ['/api/v1/users', admin.token],
    ['/api/v1/suggestions', user.token],
    ['/api/v1/suggestions?sort=score', user.token],
    ['/api/v1/jobs', user.token],
    [`/api/v1/jobs/${jobId}/events`, user.token],
    ['/api/v1/kiosk/sessions', admin.token],
    ['/api/v1/kiosk/workstations', admin.token],
    ['/api/v1/resources', user.token],
    ['/api/v1/conversations', user.token],
    [`/api/v1/conversations/${conversationId}/messages`, user.token],
    ['/api/v1/notifications', user.token],
  ];

  it.each([
    ['two strings', ['x', 'y']],
    ['three strings', ['x', 'y', 'z']],
    ['a number where a time goes', [1, UUID]],
    ['a huge number', [1e300, '2026-01-01T00:00:00.000Z', UUID]],
    ['an object', { a: 1 }],
  ])('should answer 400 VALIDATION_FAILED to a cursor holding %s on every list', async (_what, values) => {
    for (const [path, token] of lists()) {
      const separator = path.includes('?') ? '&' : '?';
      const res = await api.get(`${path}${separator}cursor=${cursorOf(path, values)}`, { token });
      expectValidationFailed(res, path);
    }
  });

  it.each([
    ['an impossible date', '2026-02-30T00:00:00.000Z'],
    ['a date in another format', '30/02/2026'],
    ['a time out of range', '2026-01-01T25:00:00Z'],
  ])('should answer 400 VALIDATION_FAILED to a time cursor holding %s', async (_what, time) => {
    const timeLists = lists().filter(([path]) => /suggestions$|jobs$|kiosk|resources|conversations$/.test(path));
    expect(timeLists).toHaveLength(6);
    for (const [path, token] of timeLists) {
      const res = await api.get(`${path}?cursor=${cursorOf(path, [time, UUID])}`, { token });
      expectValidationFailed(res, path);
    }
  });

  it('should still accept the cursors the lists issue', async () => {
    for (let i = 0; i < 3; i += 1) {
      await api.post('/api/v1/suggestions', { token: user.token, body: { title: `Suggestion ${i}` } });
    }
    const first = await api.get('/api/v1/suggestions?limit=1&sort=score', { token: user.token });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.get(`/api/v1/suggestions?limit=1&sort=score&cursor=${first.body.nextCursor}`, {
      token: user.token,
    });
    expect(second.status).toBe(200);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });

  it('should refuse a cursor on a list that did not issue it, even one of the same shape', async () => {
    for (let i = 0; i < 2; i += 1) {
      const made = await api.post('/api/v1/resources', {
        token: user.token,
        body: { name: `Paged ${i}`, visibility: 'private', data: {} },
      });
      expect(made.status).toBe(201);
    }
    const resources = await api.get('/api/v1/resources?limit=1', { token: user.token });
    const cursor = resources.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    // Jobs and suggestions page by (time, id) too: before, they read the documents' cursor as their own.
    for (const path of ['/api/v1/jobs', '/api/v1/suggestions', '/api/v1/kiosk/sessions']) {
      const token = path.includes('kiosk') ? admin.token : user.token;
      expectValidationFailed(await api.get(`${path}?cursor=${cursor}`, { token }), path);
    }
    expect((await api.get(`/api/v1/resources?limit=1&cursor=${cursor}`, { token: user.token })).status).toBe(200);
  });

  it('should answer 400 VALIDATION_FAILED to U+0000 in any REST body, query or JSON key', async () => {
    const nul = 'a\u0000b';
    const attempts: [string, () => Promise<HttpResult>][] = [
      ['login email', () => api.post('/api/v1/auth/login', { body: { email: `x${nul}@test.local`, password: 'p' } })],
      ['login password', () => api.post('/api/v1/auth/login', { body: { email: user.email, password: nul } })],
      [
        'register displayName',
        () =>
          api.post('/api/v1/auth/register', {
            body: { email: 'nul-name@test.local', password: 'password-123', displayName: nul },
          }),
      ],
      [
        'suggestion title',
        () => api.post('/api/v1/suggestions', { token: user.token, body: { title: `Title ${nul}` } }),
      ],
      ['user search query', () => api.get(`/api/v1/users?query=${encodeURIComponent(nul)}`, { token: user.token })],
      ['unknown query key', () => api.get(`/api/v1/users?${encodeURIComponent(nul)}=1`, { token: user.token })],
      [
        'resource data key',
        () =>
          api.post('/api/v1/resources', {
            token: user.token,
            body: { name: 'r', visibility: 'public', data: { [nul]: 1 } },
          }),
      ],
      [
        'resource data value deep down',
        () =>
          api.post('/api/v1/resources', {
            token: user.token,
            body: { name: 'r', visibility: 'public', data: { a: [{ b: nul }] } },
          }),
      ],
      [
        'message body',
        () => api.post(`/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: { body: nul } }),
      ],
      ['job name', () => api.post('/api/v1/jobs', { token: user.token, body: { name: nul } })],
      [
        'job event data',
        () =>
          api.post(`/api/v1/jobs/${jobId}/events`, {
            token: user.token,
            body: { type: 'job_failed', data: { error: nul } },
          }),
      ],
      [
        'notification title',
        () =>
          api.post('/api/v1/notifications', {
            token: admin.token,
            body: { userIds: [user.id], type: 't', title: nul },
          }),
      ],
      ['workstation name', () => api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: nul } })],
    ];
    for (const [what, attempt] of attempts) expectValidationFailed(await attempt(), what);
  });

  it("should refuse a number beyond JSON's range (1e400) in a free-form body, rather than store it as null", async () => {
    const created = await api.post('/api/v1/resources', {
      token: user.token,
      raw: '{"name":"Out of range","data":{"n":1e400}}',
    });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'data.n' }] });
    const job = await api.post(`/api/v1/jobs/${jobId}/events`, {
      token: user.token,
      raw: '{"type":"item_scraped","data":{"item":{"price":-1e999}}}',
    });
    expect(job.status).toBe(400);
    const mine = await api.get('/api/v1/resources', { token: user.token });
    expect(mine.body.items.map((r: { name: string }) => r.name)).not.toContain('Out of range');
  });

  it('should refuse U+0000 on routes and events that read no body, and change nothing', async () => {
    const nul = { note: 'a\u0000b' };
    const sent = await api.post('/api/v1/notifications', {
      token: admin.token,
      body: { userIds: [user.id], type: 't', title: 'unread' },
    });
    const notificationId = sent.body.items[0].id;
    const other = await registerUser(sut, 'Group Member');
    const group = (
      await api.post('/api/v1/conversations', { token: user.token, body: { memberIds: [other.id], title: 'g' } })
    ).body;
    const unread = async () =>
      (await api.get('/api/v1/notifications/unread-count', { token: user.token })).body.count as number;
    const before = await unread();
    expect(before).toBeGreaterThan(0);

    expectValidationFailed(
      await api.post('/api/v1/notifications/read-all', { token: user.token, body: nul }),
      'read-all',
    );
    expectValidationFailed(
      await api.post(`/api/v1/notifications/${notificationId}/read`, { token: user.token, body: nul }),
      'read one',
    );
    expectValidationFailed(
      await api.delete(`/api/v1/conversations/${group.id}/members/me`, { token: user.token, body: nul }),
      'leave a group',
    );
    const socket = await connect(sut.url, user.token);
    expect(await emitAck(socket, 'notification:read_all', nul)).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    });

    expect(await unread()).toBe(before);
    expect((await api.get(`/api/v1/conversations/${group.id}`, { token: user.token })).status).toBe(200);
  });

  it('should answer VALIDATION_FAILED to U+0000 in a socket payload, key or value', async () => {
    const socket = await connect(sut.url, user.token);
    const nul = 'a\u0000b';
    const acks = [
      await emitAck(socket, 'message:send', { conversationId, body: nul }),
      await emitAck(socket, 'message:send', { conversationId, body: 'hello', [nul]: 1 }),
      await emitAck(socket, 'subscribe', { channel: `conversation:${nul}` }),
      await emitAck(socket, 'subscribe', nul),
    ];
    for (const ack of acks) {
      expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED' }) });
    }
    // Nothing was stored.
    const messages = await api.get(`/api/v1/conversations/${conversationId}/messages`, { token: user.token });
    expect(messages.body.items).toEqual([]);
  });
});
