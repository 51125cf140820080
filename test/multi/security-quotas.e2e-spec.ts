// WS_MAX_SOCKETS_PER_USER counted across two instances: the attacker's sockets spread over A and B.
import { startCluster, type TestApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import { describeMultiInstance } from '../helpers/mode.js';
import {
  aBurstOfSocketsGetsOnlyTheLimit,
  SOCKET_LIMIT,
  socketsBeyondTheLimitAreRefused,
} from '../helpers/socket-quota-attacks.js';
import { closeAllSockets } from '../helpers/sockets.js';

describeMultiInstance('Security: socket quota across instances', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    cluster = await startCluster(2, { WS_MAX_SOCKETS_PER_USER: String(SOCKET_LIMIT) });
    [a, b] = cluster.instances;
  });
  afterEach(() => closeAllSockets());
  afterAll(() => cluster.close());

  it('should refuse on either instance a socket beyond the limit counted over both', async () => {
    await socketsBeyondTheLimitAreRefused([a, b], await registerUser(a, 'Spread Tabs'));
  });

  it('should admit only the limit of a burst spread over both instances', async () => {
    await aBurstOfSocketsGetsOnlyTheLimit([a, b], await registerUser(a, 'Spread Burst'));
  });
});
