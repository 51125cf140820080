// The authorization matrix: every REST route of the OpenAPI document and every channel kind, for each kind of
// caller, against the table of who may use it (the contract's "who" column). A refusal is 401, 403 or 404 (a hidden
// entity); a grant is anything else. The table must name every route the server documents, so a new route cannot
// ship without saying who may call it.
import { CHANNEL_PATTERNS } from '@realtime-hub/protocol';
import { randomUUID } from 'node:crypto';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client, http } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, emitAck } from '../helpers/sockets.js';

type Caller = 'anonymous' | 'stranger' | 'member' | 'owner' | 'admin' | 'kiosk' | 'otherWorker';
const CALLERS: Caller[] = ['anonymous', 'stranger', 'member', 'owner', 'admin', 'kiosk', 'otherWorker'];
const USERS: Caller[] = ['stranger', 'member', 'owner', 'admin'];

interface Fixtures {
  conversation: string;
  dummyUser: string;
  job: string;
  notification: string;
  resource: string;
  suggestion: string;
  session: string;
  workstation: string;
}

interface RouteRule {
  /** Path with the fixture to put in `{id}`. */
  id?: keyof Fixtures;
  query?: string;
  body?: (f: Fixtures) => unknown;
  allow: Caller[];
}

/** `METHOD path` → who may call it; `excluded` routes say why they are proven elsewhere. */
const ROUTES: Record<string, RouteRule | { excluded: string }> = {
  'POST /api/v1/auth/register': { excluded: 'public: anyone may register (rate-limited, security specs)' },
  'POST /api/v1/auth/login': { excluded: 'public: anyone may try to log in (rate-limited, security specs)' },
  'POST /api/v1/auth/logout': { excluded: 'ends the caller’s session; proven by the session specs' },
  'POST /api/v1/auth/refresh': { allow: USERS },
  'GET /api/v1/auth/me': { allow: USERS },
  'GET /api/v1/users': { allow: USERS },
  'PATCH /api/v1/users/{id}': { id: 'dummyUser', body: () => ({ disabled: false }), allow: ['admin'] },
  'GET /api/v1/health': { allow: CALLERS },
  'POST /api/v1/conversations': { body: (f) => ({ memberIds: [f.dummyUser], title: 'Matrix' }), allow: USERS },
  'GET /api/v1/conversations': { allow: USERS },
  'GET /api/v1/conversations/{id}': { id: 'conversation', allow: ['owner', 'member'] },
  'POST /api/v1/conversations/{id}/members': {
    id: 'conversation',
    body: (f) => ({ userIds: [f.dummyUser] }),
    allow: ['owner', 'member'],
  },
  'DELETE /api/v1/conversations/{id}/members/me': {
    excluded: 'leaves the conversation; proven by the messaging specs',
  },
  'GET /api/v1/conversations/{id}/messages': { id: 'conversation', allow: ['owner', 'member'] },
  'POST /api/v1/conversations/{id}/messages': {
    id: 'conversation',
    body: () => ({ body: 'matrix' }),
    allow: ['owner', 'member'],
  },
  'POST /api/v1/conversations/{id}/read': { id: 'conversation', body: () => ({ seq: 0 }), allow: ['owner', 'member'] },
  'GET /api/v1/presence': { query: 'userIds=', allow: USERS },
  'GET /api/v1/dashboard/stats': { allow: ['admin'] },
  'POST /api/v1/jobs': { body: () => ({ name: 'Matrix' }), allow: USERS },
  'GET /api/v1/jobs': { allow: USERS },
  'GET /api/v1/jobs/{id}': { id: 'job', allow: ['owner', 'admin'] },
  'POST /api/v1/jobs/{id}/token': { id: 'job', allow: ['owner', 'admin'] },
  'POST /api/v1/jobs/{id}/events': {
    id: 'job',
    body: () => ({ type: 'job_progress', data: { currentPage: 1 } }),
    allow: ['owner', 'admin'],
  },
  'GET /api/v1/jobs/{id}/events': { id: 'job', allow: ['owner', 'admin'] },
  'POST /api/v1/kiosk/workstations': { body: () => ({ name: 'Matrix desk' }), allow: ['admin'] },
  'GET /api/v1/kiosk/workstations': { allow: ['admin'] },
  'POST /api/v1/kiosk/workstations/{id}/token': { excluded: 'rotates the kiosk’s token; proven by the kiosk specs' },
  'POST /api/v1/kiosk/sessions': { body: () => ({ durationSeconds: 600 }), allow: ['admin'] },
  'GET /api/v1/kiosk/sessions': { allow: ['admin'] },
  'GET /api/v1/kiosk/sessions/{id}': { id: 'session', allow: ['admin'] },
  'POST /api/v1/kiosk/sessions/{id}/extend': { id: 'session', body: () => ({ seconds: 60 }), allow: ['admin'] },
  'POST /api/v1/kiosk/sessions/{id}/terminate': { excluded: 'ends the session; proven by the kiosk specs' },
  'POST /api/v1/notifications': {
    body: (f) => ({ userIds: [f.dummyUser], type: 'matrix', title: 'Matrix' }),
    allow: ['admin'],
  },
  'GET /api/v1/notifications': { allow: USERS },
  'GET /api/v1/notifications/unread-count': { allow: USERS },
  'POST /api/v1/notifications/read-all': { allow: USERS },
  'POST /api/v1/notifications/{id}/read': { id: 'notification', allow: ['owner'] },
  'POST /api/v1/resources': {
    body: () => ({ name: 'Matrix', visibility: 'private', data: {} }),
    allow: USERS,
  },
  'GET /api/v1/resources': { allow: USERS },
  'GET /api/v1/resources/{id}': { id: 'resource', allow: ['owner', 'admin'] },
  'PATCH /api/v1/resources/{id}': { id: 'resource', body: () => ({ name: 'Renamed' }), allow: ['owner', 'admin'] },
  'DELETE /api/v1/resources/{id}': { excluded: 'deletes the fixture; proven by the resources specs' },
  'POST /api/v1/suggestions': { body: () => ({ title: 'Matrix idea', description: 'x' }), allow: USERS },
  'GET /api/v1/suggestions': { allow: USERS },
  'GET /api/v1/suggestions/{id}': { id: 'suggestion', allow: USERS },
  'PATCH /api/v1/suggestions/{id}': { id: 'suggestion', body: () => ({ status: 'open' }), allow: ['owner', 'admin'] },
  'PUT /api/v1/suggestions/{id}/vote': { id: 'suggestion', body: () => ({ value: 1 }), allow: USERS },
  'DELETE /api/v1/suggestions/{id}/vote': { id: 'suggestion', allow: USERS },
};

/** Channel kind → the channel to try (with the fixtures) and who may subscribe. */
const CHANNELS: Record<
  keyof typeof CHANNEL_PATTERNS,
  { name: (f: Fixtures, owner: string) => string; allow: Caller[] }
> = {
  user: { name: (_, owner) => `user:${owner}`, allow: ['owner'] },
  conversation: { name: (f) => `conversation:${f.conversation}`, allow: ['owner', 'member'] },
  presence: { name: (_, owner) => `presence:${owner}`, allow: ['owner', 'member'] },
  suggestions: { name: () => 'suggestions:votes', allow: USERS },
  resource: { name: (f) => `resource:updates:${f.resource}`, allow: ['owner', 'admin'] },
  dashboard: { name: () => 'dashboard', allow: ['admin'] },
  kioskSessions: { name: () => 'kiosk:sessions', allow: ['admin'] },
  kioskWorkstations: { name: () => 'kiosk:workstations', allow: ['admin'] },
  kioskSession: { name: (f) => `kiosk:session:${f.session}`, allow: ['admin'] },
  job: { name: (f) => `job:${f.job}`, allow: ['owner', 'admin'] },
};

const REFUSED = new Set([401, 403, 404]);

describeE2E('Authorization matrix', () => {
  let sut: TestApp;
  let users: Record<'stranger' | 'member' | 'owner' | 'admin', TestUser>;
  let tokens: Record<Caller, string | undefined>;
  let fixtures: Fixtures;

  beforeAll(async () => {
    sut = await startApp();
    const api = client(sut.url);
    users = {
      stranger: await registerUser(sut, 'Stranger'),
      member: await registerUser(sut, 'Member'),
      owner: await registerUser(sut, 'Owner'),
      admin: await loginAdmin(sut),
    };
    const dummy = await registerUser(sut, 'Dummy');
    const owner = users.owner.token;
    const admin = users.admin.token;
    const conversation = await api.post('/api/v1/conversations', {
      token: owner,
      body: { memberIds: [users.member.id, dummy.id], title: 'Group' },
    });
    const job = await api.post('/api/v1/jobs', { token: owner, body: { name: 'Owned' } });
    const otherJob = await api.post('/api/v1/jobs', { token: users.stranger.token, body: { name: 'Other' } });
    const otherWorker = await api.post(`/api/v1/jobs/${otherJob.body.id}/token`, { token: users.stranger.token });
    const resource = await api.post('/api/v1/resources', {
      token: owner,
      body: { name: 'Private', visibility: 'private', data: { a: 1 } },
    });
    const suggestion = await api.post('/api/v1/suggestions', {
      token: owner,
      body: { title: 'Owned idea', description: 'x' },
    });
    const notified = await api.post('/api/v1/notifications', {
      token: admin,
      body: { userIds: [users.owner.id], type: 'matrix', title: 'For the owner' },
    });
    const workstation = await api.post('/api/v1/kiosk/workstations', { token: admin, body: { name: 'Desk' } });
    const session = await api.post('/api/v1/kiosk/sessions', { token: admin, body: { durationSeconds: 600 } });
    fixtures = {
      conversation: conversation.body.id,
      dummyUser: dummy.id,
      job: job.body.id,
      notification: notified.body.items[0].id,
      resource: resource.body.id,
      suggestion: suggestion.body.id,
      session: session.body.id,
      workstation: workstation.body.workstation.id,
    };
    for (const value of Object.values(fixtures)) expect(value).toEqual(expect.any(String));
    tokens = {
      anonymous: undefined,
      stranger: users.stranger.token,
      member: users.member.token,
      owner,
      admin,
      kiosk: workstation.body.token,
      otherWorker: otherWorker.body.token,
    };
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should have a rule for every route the OpenAPI document lists, and no rule for a route it does not', async () => {
    const spec = (await client(sut.url).get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(spec.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((route) => /^(GET|POST|PUT|PATCH|DELETE) \/api\//.test(route))
      .sort();
    expect(Object.keys(ROUTES).sort()).toEqual(documented);
  });

  it('should document with each route the errors it can answer, each with the error envelope', async () => {
    type Response = { content?: Record<string, { schema: { $ref?: string } }> };
    type Op = { responses: Record<string, Response>; parameters?: Array<{ in: string; name: string; schema: object }> };
    const spec = (await client(sut.url).get('/docs-json')).body as {
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(spec.components.schemas.ErrorBody.properties).toHaveProperty('code');
    const vote = spec.paths['/api/v1/suggestions/{id}/vote'].put;
    expect(Object.keys(vote.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '503']));
    expect(vote.parameters?.find((p) => p.name === 'id')?.schema).toMatchObject({ format: 'uuid' });
    // A kiosk's or a worker's token on a user's route: 403, as the contract says.
    expect(Object.keys(spec.paths['/api/v1/auth/me'].get.responses)).toContain('403');
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          expect({
            route: `${method} ${path} ${status}`,
            schema: response.content?.['application/json']?.schema,
          }).toEqual({
            route: `${method} ${path} ${status}`,
            schema: { $ref: '#/components/schemas/ErrorBody' },
          });
        }
      }
    }
    // The notification's body is text (it was described as an object).
    expect(spec.components.schemas.CreateNotificationsDto.properties.body).toMatchObject({ type: 'string' });
  });

  // Hundreds of requests one after the other (one caller's grant may change what the next finds): 14 s in a whole run
  // here, so a slower CI machine gets twice the default timeout.
  it('should grant every route to exactly the callers its rule names', async () => {
    const wrong: string[] = [];
    for (const [route, rule] of Object.entries(ROUTES)) {
      if ('excluded' in rule) continue;
      const [method, template] = route.split(' ');
      let path = rule.id ? template.replace('{id}', fixtures[rule.id]) : template;
      if (rule.query) path += `?${rule.query}${rule.query.endsWith('=') ? users.owner.id : ''}`;
      for (const caller of CALLERS) {
        const res = await http(sut.url, method, path, { token: tokens[caller], body: rule.body?.(fixtures) });
        const granted = !REFUSED.has(res.status);
        if (res.status >= 500) wrong.push(`${route} as ${caller}: ${res.status}`);
        else if (granted !== rule.allow.includes(caller)) {
          wrong.push(
            `${route} as ${caller}: ${res.status} ${res.body?.code ?? ''} (expected ${granted ? 'refusal' : 'grant'})`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('should let exactly the callers each channel kind names subscribe', async () => {
    const wrong: string[] = [];
    for (const caller of CALLERS.filter((c) => c !== 'anonymous')) {
      const socket = await connect(sut.url, tokens[caller]);
      for (const [kind, rule] of Object.entries(CHANNELS)) {
        const channel = rule.name(fixtures, users.owner.id);
        const ack = await emitAck(socket, 'subscribe', { channel });
        const granted = ack.ok;
        if (!ack.ok && !['FORBIDDEN', 'NOT_FOUND'].includes(ack.error.code)) {
          wrong.push(`${kind} as ${caller}: ${ack.error.code}`);
        } else if (granted !== rule.allow.includes(caller)) {
          wrong.push(`${kind} (${channel}) as ${caller}: ${granted ? 'granted' : 'refused'}`);
        }
        if (granted) await emitAck(socket, 'unsubscribe', { channel });
      }
      socket.close();
    }
    expect(wrong).toEqual([]);
  });

  it('should refuse a socket without a token', async () => {
    await expect(connect(sut.url, undefined)).rejects.toThrow('Authentication required');
    await expect(connect(sut.url, `${randomUUID()}.x.y`)).rejects.toThrow('Authentication failed');
  });
});
