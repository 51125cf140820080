// Presence across instances when the end of a user's grace period (after their last socket left) cannot run on the
// instance that started it: that instance died or shut down meanwhile, or its link to Redis was down at that moment.
// The user must still go offline, rather than stay online for good with no socket anywhere.
import { RedisService } from '../../src/redis/redis.service.js';
import { type Backend, createBackend, startInstance, type TestApp } from '../helpers/app.js';
import { createUsers, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { closeAllSockets, connect, emitAck, sleep, waitFor } from '../helpers/sockets.js';

describeMultiInstance('Presence when the instance timing a grace period cannot end it', () => {
  let backend: Backend;
  const started: TestApp[] = [];

  async function pair(env: Record<string, string>): Promise<[TestApp, TestApp]> {
    const a = await startInstance(backend, env);
    started.push(a);
    const b = await startInstance(backend, env);
    started.push(b);
    return [a, b];
  }

  beforeAll(async () => {
    backend = await createBackend();
  });
  afterEach(async () => {
    closeAllSockets();
    for (const instance of started.splice(0)) await instance.close();
  });
  afterAll(() => backend?.dispose());

  /** Alice on A watches Bob's presence; Bob's only socket is on B. Answers what the next offline will be. */
  async function watched(a: TestApp, b: TestApp): Promise<{ alice: TestUser; bob: TestUser; leave: () => void }> {
    const [alice, bob] = await createUsers(a, 2, 'Grace');
    const created = await client(a.url).post('/api/v1/conversations', {
      token: alice.token,
      body: { memberIds: [bob.id] },
    });
    expect(created.status).toBe(201);
    const watcher = await connect(a.url, alice.token);
    expect(await emitAck(watcher, 'subscribe', { channel: `presence:${bob.id}` })).toMatchObject({ ok: true });
    const online = waitFor(watcher, 'presence', (p) => p.online);
    const bobOnB = await connect(b.url, bob.token);
    await online;
    const offline = waitFor(watcher, 'presence', (p) => !p.online, 10_000);
    // Awaited by `expectOffline`; caught here so that a failure before it is reported as that failure.
    offline.catch(() => undefined);
    offlines.set(bob.id, offline);
    return { alice, bob, leave: () => bobOnB.close() };
  }

  const offlines = new Map<string, Promise<unknown>>();

  async function expectOffline(a: TestApp, alice: TestUser, bob: TestUser): Promise<void> {
    expect(await offlines.get(bob.id)).toEqual({ userId: bob.id, online: false, lastSeenAt: expect.any(String) });
    const viaA = await client(a.url).get(`/api/v1/presence?userIds=${bob.id}`, { token: alice.token });
    expect(viaA.body.items).toEqual([{ userId: bob.id, online: false, lastSeenAt: expect.any(String) }]);
  }

  // A grace period long enough that B's end comes well within it on a loaded machine; a TTL short enough that A takes
  // a dead B for dead soon.
  const GRACE_MS = 5000;
  const DYING = { PRESENCE_GRACE_MS: String(GRACE_MS), PRESENCE_TTL_SECONDS: '2' };

  it('should take a user offline whose grace period was running on an instance that died', async () => {
    const [a, b] = await pair(DYING);
    const { alice, bob, leave } = await watched(a, b);
    const left = Date.now();
    leave();
    // Within Bob's grace period: B has counted his socket out, and its grace timer has not fired yet.
    await sleep(300);
    // B dies without retiring: its Redis commands fail from now on, then it stops. Only A's sweep is left.
    b.app.get(RedisService).client.disconnect();
    expect(Date.now() - left).toBeLessThan(GRACE_MS);
    await b.close();
    await expectOffline(a, alice, bob);
  }, 30_000);

  it('should take a user offline whose grace period was running on an instance that shut down', async () => {
    const [a, b] = await pair(DYING);
    const { alice, bob, leave } = await watched(a, b);
    const left = Date.now();
    leave();
    await sleep(300);
    await b.close();
    expect(Date.now() - left).toBeLessThan(GRACE_MS);
    await expectOffline(a, alice, bob);
  }, 30_000);

  it('should take a user offline whose grace period ended while its instance could not reach Redis', async () => {
    // A TTL long enough that A does not take B for dead during its 2 s without Redis.
    const [a, b] = await pair({ PRESENCE_GRACE_MS: '500', PRESENCE_TTL_SECONDS: '12' });
    const { alice, bob, leave } = await watched(a, b);
    leave();
    await sleep(200);
    // B's command link to Redis is down when Bob's grace period ends (its check fails), and back 1.5 s later.
    const redis = b.app.get(RedisService).client;
    redis.disconnect();
    await sleep(2000);
    await redis.connect();
    await expectOffline(a, alice, bob);
  }, 30_000);
});
