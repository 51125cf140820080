// One of two instances (real processes) is killed with SIGKILL under traffic. Its SDK clients reconnect to the other
// through a round-robin proxy and resync: every message and notification once, in order. Its users that do not come
// back go offline within PRESENCE_TTL_SECONDS; those that do are online again. A kiosk session running meanwhile still
// warns and ends exactly once, on time, from the survivor.
import type { MessagePayload, NotificationPayload } from '@realtime-hub/client';
import type { Socket } from 'socket.io-client';
import { closeAllClients, sdkClient, waitForState, waitUntil } from '../helpers/client.js';
import { client, http } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { closeAllSockets, connect, emitAck, sleep } from '../helpers/sockets.js';
import { conversationOf, describeFaults, type FaultCluster, member, startFaultCluster } from './helpers/faults.js';
import type { AppProcess } from './helpers/processes.js';

const PRESENCE_TTL_SECONDS = 4;
const SESSION_SECONDS = 8;

describeFaults('One of two instances killed under traffic', () => {
  let cluster: FaultCluster;
  let instances: AppProcess[];
  let proxy: TestProxy;

  beforeAll(async () => {
    cluster = await startFaultCluster({
      ADMIN_EMAIL: 'admin@faults.local',
      ADMIN_PASSWORD: 'admin-password-123',
      PRESENCE_TTL_SECONDS: String(PRESENCE_TTL_SECONDS),
      PRESENCE_GRACE_MS: '300',
      KIOSK_TICK_SECONDS: '1',
      KIOSK_WARNING_SECONDS: '4',
      KIOSK_MIN_DURATION_SECONDS: '1',
    });
    ({ instances } = cluster);
    proxy = await startProxy(instances.map((i) => i.url));
  }, 120_000);

  afterAll(async () => {
    closeAllClients();
    closeAllSockets();
    await proxy?.close();
    await cluster?.close();
  });

  it('should move its clients with no gap, sweep its users, and keep a kiosk session exactly once', async () => {
    const [a] = instances;
    const admin = (
      await http(a.url, 'POST', '/api/v1/auth/login', {
        body: { email: 'admin@faults.local', password: 'admin-password-123' },
      })
    ).body.accessToken as string;
    const [alice, bob, carol] = [
      await member(a.url, 'alice'),
      await member(a.url, 'bob'),
      await member(a.url, 'carol'),
    ];
    const conversationId = await conversationOf(a.url, alice, [bob, carol], 'Kill');

    // Bob follows the conversation and his notifications through the SDK, behind the proxy.
    const { client: sdk, states } = sdkClient(proxy.url, bob.token);
    const messages: MessagePayload[] = [];
    const notifications: NotificationPayload[] = [];
    sdk.conversationMessages(conversationId).subscribe((m) => messages.push(m));
    sdk.notifications().subscribe((n) => notifications.push(n));
    await waitForState(sdk, 'online');
    await sleep(300);
    const victim = instances.find((i) => i.url === proxy.upgrades[proxy.upgrades.length - 1])!;
    const survivor = instances.find((i) => i !== victim)!;
    // Carol sits on the victim with a plain socket that will not reconnect: she must be swept offline.
    const carolSocket: Socket = await connect(victim.url, carol.token);
    expect(carolSocket.connected).toBe(true);

    // A kiosk session on a workstation connected to the survivor, watched by an admin on the survivor.
    const workstation = (
      await client(survivor.url).post('/api/v1/kiosk/workstations', { token: admin, body: { name: 'Desk' } })
    ).body;
    const session = (
      await client(survivor.url).post('/api/v1/kiosk/sessions', {
        token: admin,
        body: { durationSeconds: SESSION_SECONDS },
      })
    ).body;
    const kiosk = await connect(survivor.url, workstation.token);
    const kioskEvents: { event: string; at: number }[] = [];
    for (const event of ['session_started', 'session_warning', 'session_terminated']) {
      kiosk.on(event, () => kioskEvents.push({ event, at: Date.now() }));
    }
    expect(await emitAck(kiosk, 'validate_code', { code: session.accessCode })).toMatchObject({ ok: true });
    const started = await emitAck(kiosk, 'start_session', { sessionId: session.id });
    expect(started).toMatchObject({ ok: true });
    const endsAt = Date.parse(started.ok ? started.data.session.endsAt : '');

    // Writes go to the survivor the whole time.
    let writing = true;
    const bodies: string[] = [];
    const titles: string[] = [];
    const writer = (async () => {
      for (let i = 0; writing; i += 1) {
        const res = await client(survivor.url).post(`/api/v1/conversations/${conversationId}/messages`, {
          token: alice.token,
          body: { body: `m${i}` },
        });
        if (res.status === 201) bodies.push(`m${i}`);
        if (i % 3 === 0) {
          const sent = await client(survivor.url).post('/api/v1/notifications', {
            token: admin,
            body: { userIds: [bob.id], type: 'test', title: `n${i}` },
          });
          if (sent.status === 201) titles.push(`n${i}`);
        }
        await sleep(40);
      }
    })();
    await sleep(500);
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited();
    await waitForState(sdk, 'online', 15_000);
    await sleep(800);
    writing = false;
    await writer;

    // Bob's client moved and missed nothing: every message and notification once, in order.
    await waitUntil(() => messages.length >= bodies.length, `${bodies.length} messages (${messages.length})`);
    await waitUntil(() => notifications.length >= titles.length, `${titles.length} notifications`);
    await sleep(300);
    expect(bodies.length).toBeGreaterThan(10);
    expect(messages.map((m) => m.body)).toEqual(bodies);
    expect(messages.map((m) => m.seq)).toEqual(bodies.map((_, i) => i + 1));
    expect(notifications.map((n) => n.title)).toEqual(titles);
    expect(states.slice(-2)).toEqual(['reconnecting', 'online']);

    // Presence: Carol (gone with the victim) is swept offline within the TTL; Bob (moved) is online.
    const poll = async () => {
      const res = await client(survivor.url).get(`/api/v1/presence?userIds=${carol.id},${bob.id}`, {
        token: alice.token,
      });
      return res.body.items as { userId: string; online: boolean }[];
    };
    const deadline = killedAt + (PRESENCE_TTL_SECONDS + 3) * 1000;
    let items = await poll();
    while (items.find((p) => p.userId === carol.id)?.online && Date.now() < deadline) {
      await sleep(100);
      items = await poll();
    }
    const carolOfflineAt = Date.now();
    expect(items.find((p) => p.userId === carol.id)?.online).toBe(false);
    expect(carolOfflineAt - killedAt).toBeLessThan((PRESENCE_TTL_SECONDS + 3) * 1000);
    expect(items.find((p) => p.userId === bob.id)?.online).toBe(true);

    // The kiosk session warned once and ended once, on time.
    await waitUntil(() => kioskEvents.some((e) => e.event === 'session_terminated'), 'the session ended', 20_000);
    await sleep(1500);
    expect(kioskEvents.map((e) => e.event)).toEqual(['session_started', 'session_warning', 'session_terminated']);
    const ended = kioskEvents[2].at;
    expect(Math.abs(ended - endsAt)).toBeLessThan(2500);
    if (process.env.FAULTS_REPORT) {
      const report = {
        messages: bodies.length,
        notifications: titles.length,
        deliveredOnce: messages.length + notifications.length,
        lost: 0,
        carolOfflineAfterMs: carolOfflineAt - killedAt,
        sessionEndedOffByMs: ended - endsAt,
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  }, 90_000);
});
