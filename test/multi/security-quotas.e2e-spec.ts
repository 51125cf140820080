// WS_MAX_SOCKETS_PER_USER counted across two instances: the attacker's sockets spread over A and B. A short
// PRESENCE_TTL_SECONDS, so that places which were not renewed would expire within the test.
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { registerUser } from '../helpers/factories.js';
import { describeMultiInstance } from '../helpers/mode.js';
import {
  aBurstOfSocketsGetsOnlyTheLimit,
  SOCKET_LIMIT,
  socketsBeyondTheLimitAreRefused,
} from '../helpers/socket-quota-attacks.js';
import { connect, sleep } from '../helpers/sockets.js';

const TTL_SECONDS = 2;

describeMultiInstance('Security: socket quota across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances(
    (x, y) => {
      [a, b] = [x, y];
    },
    {
      WS_MAX_SOCKETS_PER_USER: String(SOCKET_LIMIT),
      PRESENCE_TTL_SECONDS: String(TTL_SECONDS),
    },
  );

  it('should refuse on either instance a socket beyond the limit counted over both', async () => {
    await socketsBeyondTheLimitAreRefused([a, b], await registerUser(a, 'Spread Tabs'));
  });

  it('should admit only the limit of a burst spread over both instances', async () => {
    await aBurstOfSocketsGetsOnlyTheLimit([a, b], await registerUser(a, 'Spread Burst'));
  });

  it('should keep the places of live sockets past the TTL: each instance renews those it holds', async () => {
    const user = await registerUser(a, 'Long Tabs');
    for (let i = 0; i < SOCKET_LIMIT; i += 1) await connect([a, b][i % 2].url, user.token);
    await sleep(3 * TTL_SECONDS * 1000);
    for (const app of [a, b]) {
      await expect(connect(app.url, user.token)).rejects.toThrow('Too many connections');
    }
  }, 30_000);
});
