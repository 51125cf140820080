// Two instances on one database and one Redis for a whole describe block (services mode): started before its
// tests, every socket closed after each test, both stopped after the last.
import { startCluster, type TestApp } from './app.js';
import { closeAllSockets } from './sockets.js';

/** Registers the block's hooks; `ready` receives the two instances once they are up (assign them there). */
export function useTwoInstances(
  ready: (a: TestApp, b: TestApp) => void | Promise<void>,
  overrides: Record<string, string> = {},
): void {
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  beforeAll(async () => {
    cluster = await startCluster(2, overrides);
    const [a, b] = cluster.instances;
    await ready(a, b);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => cluster?.close());
}
