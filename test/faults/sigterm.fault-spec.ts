// A deploy sends SIGTERM to one of two instances under the mixed load, its SDK clients behind a round-robin proxy.
// Requests and acknowledgements in flight complete, its sockets are closed so their clients move to the other
// instance, the process exits within a bounded time, and after resync nothing acknowledged is lost or duplicated
// (what was in flight and never answered is retried by the SDK with its clientId, stored once).
import { closeAllClients } from '../helpers/client.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { sleep } from '../helpers/sockets.js';
import { describeFaults, type FaultCluster, startFaultCluster } from './helpers/faults.js';
import { MixedLoad, report, settledWithoutLoss } from './helpers/mixed-load.js';
import type { AppProcess } from './helpers/processes.js';

const EXIT_LIMIT_MS = 15_000;

describeFaults('SIGTERM under the mixed load', () => {
  let cluster: FaultCluster;
  let a: AppProcess;
  let proxy: TestProxy;
  let load: MixedLoad | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster();
    [a] = cluster.instances;
    proxy = await startProxy(cluster.instances.map((i) => i.url));
  }, 120_000);

  afterAll(async () => {
    load?.close();
    closeAllClients();
    await proxy?.close();
    await cluster?.close();
  });

  it('should finish what is in flight, close its sockets, exit in time and lose nothing acknowledged', async () => {
    // A fast pace, so that requests and acks are in flight when the signal comes.
    load = new MixedLoad({ restUrl: cluster.instances[1].url, clientUrl: proxy.url, paceMs: 25 });
    await load.setup();
    expect(proxy.upgrades).toContain(a.url);
    const left: number[] = [];
    for (const sdk of [...load.clients, load.admin, load.worker]) {
      sdk.connection.subscribe((state) => {
        if (state === 'reconnecting') left.push(Date.now());
      });
    }
    load.start();
    await sleep(1000);
    const signalled = Date.now();
    a.kill('SIGTERM');
    const exit = await Promise.race([a.exited(), sleep(EXIT_LIMIT_MS).then(() => 'still running')]);
    const exitedInMs = Date.now() - signalled;
    // Exits by itself (0), or by SIGTERM if a hook re-raised it; on failure the process's log says where it stuck.
    const clean = exit === 0 || exit === 'SIGTERM';
    expect(clean ? 'clean' : a.output().slice(-4000)).toBe('clean');
    expect(exitedInMs).toBeLessThan(EXIT_LIMIT_MS);
    // Its sockets were closed by the server, before it exited, so their clients moved on; all are back online.
    expect(left.length).toBeGreaterThan(0);
    expect(Math.max(...left) - signalled).toBeLessThan(exitedInMs + 1000);
    await load.waitOnline();
    const recoveredInMs = await load.recovery(signalled);

    // Answers given were true: REST never answered 5xx other than a clean 503 (0: refused at the TCP level).
    const counts = await settledWithoutLoss(load);
    report('SIGTERM', load, counts, { exitedInMs, recoveredInMs });
  }, 90_000);
});
