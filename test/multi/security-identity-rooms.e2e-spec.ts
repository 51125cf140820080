// The identity-room attacks across two instances: the attacker's socket on B, the change made through A.
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import {
  demotedAdminLosesEverySocket,
  disabledUserLosesEverySocket,
  leaverStopsReceivingMessages,
} from '../helpers/identity-room-attacks.js';
import { describeMultiInstance } from '../helpers/mode.js';

describeMultiInstance('Security: server-owned identity rooms across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should disconnect on B a demoted admin who left their user room, demoted through A', () =>
    demotedAdminLosesEverySocket(a, b));

  it('should disconnect on B a disabled user who left their user room, disabled through A', () =>
    disabledUserLosesEverySocket(a, b));

  it('should take out of the channel on B a leaver who left their user room, leaving through A', () =>
    leaverStopsReceivingMessages(a, b));
});
