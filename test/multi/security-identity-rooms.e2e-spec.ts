// The identity-room attacks across two instances: the attacker's socket on B, the change made through A.
import { startCluster, type TestApp } from '../helpers/app.js';
import {
  demotedAdminLosesEverySocket,
  disabledUserLosesEverySocket,
  leaverStopsReceivingMessages,
} from '../helpers/identity-room-attacks.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { closeAllSockets } from '../helpers/sockets.js';

describeMultiInstance('Security: server-owned identity rooms across instances', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    cluster = await startCluster(2);
    [a, b] = cluster.instances;
  });
  afterEach(() => closeAllSockets());
  afterAll(() => cluster.close());

  it('should disconnect on B a demoted admin who left their user room, demoted through A', () =>
    demotedAdminLosesEverySocket(a, b));

  it('should disconnect on B a disabled user who left their user room, disabled through A', () =>
    disabledUserLosesEverySocket(a, b));

  it('should take out of the channel on B a leaver who left their user room, leaving through A', () =>
    leaverStopsReceivingMessages(a, b));
});
