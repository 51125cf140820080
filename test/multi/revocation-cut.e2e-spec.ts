// A revocation made on A while B's link to Redis is cut (Redis up, A reaching it): B cannot hear of it meanwhile, but
// once its link is back, it must refuse the revoked token rather than go on trusting its cached copy of the account.
import { startTcpLink, type TcpLink } from '../faults/helpers/tcp-link.js';
import { type Backend, createBackend, startInstance, type TestApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { closeAllSockets, eventually } from '../helpers/sockets.js';

describeMultiInstance('Revocations made while an instance was cut from Redis', () => {
  let backend: Backend | undefined;
  let link: TcpLink | undefined;
  let a: TestApp | undefined;
  let b: TestApp | undefined;

  beforeAll(async () => {
    backend = await createBackend();
    const redis = new URL(backend.env.REDIS_URL);
    link = await startTcpLink(Number(redis.port || 6379), redis.hostname);
    a = await startInstance(backend);
    redis.hostname = '127.0.0.1';
    redis.port = String(link.port);
    b = await startInstance(backend, { REDIS_URL: redis.toString() });
  });
  afterEach(() => {
    closeAllSockets();
    link?.restore();
  });
  afterAll(async () => {
    link?.restore();
    await b?.close();
    await a?.close();
    await link?.close();
    await backend?.dispose();
  });

  // Before, B's SubjectStateCache kept the account it read before the cut, fresh for its 60 s age limit, and nothing
  // dropped it when the bus's link came back: B accepted the revoked token until then.
  it('should refuse on B, once its link is back, the token of an account logged out through A during the cut', async () => {
    const user = await registerUser(a!, 'Cut Logout');
    const witness = await registerUser(a!, 'Cut Witness');
    // B reads both accounts once, and keeps them for a while.
    for (const { token } of [user, witness]) {
      expect((await client(b!.url).get('/api/v1/auth/me', { token })).status).toBe(200);
    }

    link!.cut();
    await eventually(async () => expect((await client(b!.url).get('/api/v1/health')).status).toBe(503), 15_000);
    expect((await client(a!.url).post('/api/v1/auth/logout', { token: user.token })).status).toBe(204);
    expect((await client(a!.url).get('/api/v1/auth/me', { token: user.token })).status).toBe(401);
    link!.restore();
    await eventually(async () => expect((await client(b!.url).get('/api/v1/health')).status).toBe(200), 15_000);
    // B hears A's revocations again: one made now reaches it.
    expect((await client(a!.url).post('/api/v1/auth/logout', { token: witness.token })).status).toBe(204);
    await eventually(
      async () => expect((await client(b!.url).get('/api/v1/auth/me', { token: witness.token })).status).toBe(401),
      15_000,
    );

    expect((await client(b!.url).get('/api/v1/auth/me', { token: user.token })).status).toBe(401);
  }, 40_000);
});
