// One of two instances (real processes) is killed with SIGKILL under the mixed load. Its SDK clients reconnect to
// the other through a round-robin proxy and resync: nothing acknowledged is lost or duplicated, of any kind. Its
// users that do not come back go offline within PRESENCE_TTL_SECONDS, and online again when they reconnect. The
// kiosk session both instances were ticking still warns and ends exactly once, on time, from the survivor.
import type { PresencePayload, RealtimeClient } from '@realtime-hub/client';
import { closeAllClients, waitUntil } from '../helpers/client.js';
import { client } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { sleep } from '../helpers/sockets.js';
import { describeFaults, type FaultCluster, member, startFaultCluster } from './helpers/faults.js';
import { faultClient, MixedLoad, report, settledWithoutLoss } from './helpers/mixed-load.js';
import type { AppProcess } from './helpers/processes.js';

const PRESENCE_TTL_SECONDS = 3;
const PRESENCE_GRACE_MS = 300;
const SESSION_SECONDS = 6;
const WARNING_SECONDS = 3;

describeFaults('One of two instances killed under the mixed load', () => {
  let cluster: FaultCluster;
  let victim: AppProcess;
  let survivor: AppProcess;
  let proxy: TestProxy;
  let load: MixedLoad | undefined;

  beforeAll(async () => {
    cluster = await startFaultCluster({
      PRESENCE_TTL_SECONDS: String(PRESENCE_TTL_SECONDS),
      PRESENCE_GRACE_MS: String(PRESENCE_GRACE_MS),
      KIOSK_TICK_SECONDS: '1',
      KIOSK_WARNING_SECONDS: String(WARNING_SECONDS),
      KIOSK_MIN_DURATION_SECONDS: '1',
    });
    [victim, survivor] = cluster.instances;
    proxy = await startProxy(cluster.instances.map((i) => i.url));
  }, 120_000);

  afterAll(async () => {
    load?.close();
    closeAllClients();
    await proxy?.close();
    await cluster?.close();
  });

  it('should move its clients with nothing lost, sweep and restore its users, and keep a kiosk session exactly once', async () => {
    // Users' clients through the proxy (so some land on the victim); the kiosk's workstation on the survivor.
    load = new MixedLoad({
      restUrl: survivor.url,
      clientUrl: proxy.url,
      kiosk: { durationSeconds: SESSION_SECONDS, warningSeconds: [WARNING_SECONDS], url: survivor.url },
    });
    await load.setup();
    expect(proxy.upgrades).toContain(victim.url);

    // Carol sits on the victim alone (her client can only reach it): she must be swept offline, then come back.
    const watcher = load.users[0];
    const carol = await member(survivor.url, 'carol');
    await client(survivor.url).post('/api/v1/conversations', { token: watcher.token, body: { memberIds: [carol.id] } });
    const carolOnVictim: RealtimeClient = faultClient(victim.url, carol.token);
    await waitUntil(() => carolOnVictim.state === 'online', 'Carol connected');
    const presence: (PresencePayload & { at: number })[] = [];
    load.clients[0].subscribe(`presence:${carol.id}`, {
      snapshot: (p) => presence.push({ ...p, at: Date.now() }),
      presence: (p) => presence.push({ ...p, at: Date.now() }),
    });
    await waitUntil(() => presence.at(-1)?.online === true, `Carol online (${JSON.stringify(presence)})`);

    load.start();
    await sleep(1500);
    const killedAt = Date.now();
    const seenBefore = presence.length;
    victim.kill('SIGKILL');
    await victim.exited();
    await load.waitOnline();
    const recoveredInMs = await load.recovery(killedAt);

    // Presence: Carol is offline within the TTL (plus the grace period), then online again once she reconnects.
    await waitUntil(() => presence.at(-1)?.online === false, 'Carol offline', (PRESENCE_TTL_SECONDS + 5) * 1000);
    // The contract says the dead instance's sockets stop counting within PRESENCE_TTL_SECONDS: instances beat every
    // TTL/6 and one is dead once its last beat is older than TTL − TTL/6, found at the survivor's next beat. Timed at
    // the sweep itself (the offline presence's lastSeenAt: Redis's clock, this machine's), not at this
    // process's receipt, which a loaded machine delays on top (a clean-clone run measured 3.64 s at the receipt).
    // Allowed on top: what a loaded machine adds to the survivor's heartbeat timer and two Redis round trips.
    const offlineAfterMs = Date.parse(presence.at(-1)!.lastSeenAt!) - killedAt;
    expect(offlineAfterMs).toBeLessThanOrEqual(PRESENCE_TTL_SECONDS * 1000 + 500);
    const polled = await client(survivor.url).get(`/api/v1/presence?userIds=${carol.id}`, { token: watcher.token });
    expect(polled.body.items).toEqual([expect.objectContaining({ userId: carol.id, online: false })]);
    carolOnVictim.close();
    const reconnectedAt = Date.now();
    faultClient(proxy.url, carol.token);
    await waitUntil(() => presence.at(-1)?.online === true, 'Carol online again');
    const onlineAgainAfterMs = presence.at(-1)!.at - reconnectedAt;
    // What the watcher saw from the kill on (a resubscription's snapshot repeats the state it had): online, offline,
    // online.
    const changes = presence
      .slice(seenBefore - 1)
      .map((p) => p.online)
      .filter((online, i, all) => i === 0 || online !== all[i - 1]);
    expect(changes).toEqual([true, false, true]);

    // Counted after every client resynced: of every kind, nothing acknowledged lost, nothing twice.
    const counts = await settledWithoutLoss(load);
    // The kiosk session: started, warned once, ended once, on time, with ticks from the survivor after the kill.
    const kioskKinds = load.kioskEvents.filter((e) => e.event !== 'time_update').map((e) => e.event);
    expect(kioskKinds).toEqual(['session_started', 'session_warning', 'session_terminated']);
    expect(Math.abs(counts.kiosk!.endedOffByMs)).toBeLessThan(1500);
    expect(load.kioskEvents.filter((e) => e.event === 'time_update' && e.at > killedAt).length).toBeGreaterThan(1);
    report('instance SIGKILL', load, counts, { recoveredInMs, offlineAfterMs, onlineAgainAfterMs });
  }, 90_000);
});
