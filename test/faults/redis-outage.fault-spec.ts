// Redis stopped for 10 s under the mixed load, then started again, with two app instances running as real processes
// and the SDK clients spread over both. Local delivery goes on; what needs Redis answers 503 (never 500, never a
// hang); /health says so; nothing crashes; cross-instance delivery and presence come back by themselves; and after
// resync nothing acknowledged is lost or duplicated, of any kind. A kiosk session runs its whole course during the
// outage, its workstation on B: every tick, the warning and the end reach it once (each instance, cut off from the
// other, claims only the moments of the workstations whose socket it holds). An admin's dashboard on B goes on
// updating through the outage (heartbeats, and the session's end), on B's own clock.
import { channels } from '@realtime-hub/protocol';
import { client } from '../helpers/http.js';
import { eventually, sleep } from '../helpers/sockets.js';
import { describeFaults } from './helpers/faults.js';
import { adminToken, faultClient, report, settledWithoutLoss } from './helpers/mixed-load.js';
import { expectEveryoneOnline, expectKioskCourse, kioskCourseScenario } from './helpers/kiosk-course.js';

const OUTAGE_MS = 10_000;
const HEARTBEAT_SECONDS = 2;

describeFaults('Redis outage under the mixed load, two instances', () => {
  const scenario = kioskCourseScenario({ DASHBOARD_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) });

  it('should keep local delivery, answer 503 for what needs Redis, recover by itself and lose nothing', async () => {
    const { a, b } = scenario;
    const { redis } = scenario.cluster;
    const load = await scenario.setUpLoad();
    const [onA, onB] = load.users;
    const stats: { at: number; activeSessions: number }[] = [];
    const dashboard = faultClient(b.url, await adminToken(a.url));
    dashboard.subscribe(channels.dashboard(), {
      stats_update: (s) => stats.push({ at: Date.now(), activeSessions: s.sessions.active }),
    });
    // Subscribed before the outage: a handshake needs Redis (the socket quota), so a dashboard still connecting when
    // Redis stops would wait for it, and hear nothing of the outage (a loaded run once saw that).
    await eventually(() => expect(stats.length).toBeGreaterThan(0), 10_000);
    load.start();
    await sleep(500);

    await redis.stop();
    const outageStarted = Date.now();
    await sleep(OUTAGE_MS / 2);
    const health = await client(a.url).get('/api/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.error).toHaveProperty('redis');
    const asked = Date.now();
    const presence = await client(a.url).get(`/api/v1/presence?userIds=${onB.id}`, { token: onA.token });
    expect([presence.status, presence.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    // Never a hang: each Redis command gives up at its connection's next failed reconnect (within about a second);
    // presence makes two in a row.
    const presenceAnsweredInMs = Date.now() - asked;
    expect(presenceAnsweredInMs).toBeLessThan(3000);
    await sleep(OUTAGE_MS - (Date.now() - outageStarted));
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    // Local delivery did not stop: what user 0 (on A) got acknowledged during the outage reached user 2 (also on
    // A) live, over the socket.
    const local = [...load.chatLog].filter(([, m]) => m.sender === 0 && m.at > outageStarted + 500);
    expect(local.length).toBeGreaterThan(0);
    await eventually(() => expect(local.filter(([id]) => !load!.liveChat[2].has(id))).toEqual([]), 2000);

    await redis.start();
    const restarted = Date.now();
    await eventually(async () => {
      expect((await client(a.url).get('/api/v1/health')).status).toBe(200);
      expect((await client(b.url).get('/api/v1/health')).status).toBe(200);
    }, 20_000);
    // Cross-instance delivery is back by itself: a message sent on A reaches B live.
    const recoveredInMs = await load.recovery(restarted, { live: true });
    // Presence is back: every user online again, as each instance rebuilt its part.
    await expectEveryoneOnline(load, b.url);

    const counts = await settledWithoutLoss(load);
    // The kiosk session ran its course inside the outage, from B (a tick claimed by A, which does not hold the
    // workstation's socket, would be a gap of two seconds).
    const endedAt = expectKioskCourse(load, counts, outageStarted, outageStarted + OUTAGE_MS);
    // The dashboard on B: a heartbeat at least every HEARTBEAT_SECONDS through the outage, and the session's end
    // counted within about a second (DASHBOARD_INTERVAL_MS), both before Redis came back.
    const marks = [outageStarted, ...stats.filter((u) => u.at > outageStarted && u.at < restarted).map((u) => u.at)];
    const dashboardGaps = [...marks, restarted].slice(1).map((at, i) => at - marks[i]);
    expect(dashboardGaps.filter((gap) => gap > HEARTBEAT_SECONDS * 1000 + 1500)).toEqual([]);
    const counted = stats.find((u) => u.at > endedAt && u.activeSessions === 0);
    expect(counted?.at).toBeLessThan(Math.min(endedAt + 2500, restarted));
    dashboard.close();
    report('Redis stopped 10 s', load, counts, {
      recoveredInMs,
      slowestMs: load.slowestMs,
      presenceAnsweredInMs,
    });
  }, 90_000);
});
