// Logout across two instances: the user logs out through A; their devices are connected to B.
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { logoutEndsEverySession } from '../helpers/session-attacks.js';

describeMultiInstance('Security: logout across instances', () => {
  let a: TestApp;
  let b: TestApp;

  useTwoInstances((x, y) => {
    [a, b] = [x, y];
  });

  it('should refuse on B every token of an account logged out through A, and close its sockets there', () =>
    logoutEndsEverySession(a, b));
});
