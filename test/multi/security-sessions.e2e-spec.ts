// Logout across two instances: the user logs out through A; their devices are connected to B.
import { startCluster, type TestApp } from '../helpers/app.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { logoutEndsEverySession } from '../helpers/session-attacks.js';
import { closeAllSockets } from '../helpers/sockets.js';

describeMultiInstance('Security: logout across instances', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    cluster = await startCluster(2);
    [a, b] = cluster.instances;
  });
  afterEach(() => closeAllSockets());
  afterAll(() => cluster.close());

  it('should refuse on B every token of an account logged out through A, and close its sockets there', () =>
    logoutEndsEverySession(a, b));
});
