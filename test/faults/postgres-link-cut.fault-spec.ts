// One instance of two loses its link to Postgres for 8 s under the mixed load, while the other keeps it (a network
// partition; Postgres itself stays up), then gets it back. The cut instance answers SERVICE_UNAVAILABLE for what needs
// the database (never INTERNAL, never a hang) and keeps its sockets, refusing a new one whose account it cannot check
// with "Service unavailable" (never "Authentication failed"); the other serves everything; service comes back
// by itself; after resync nothing acknowledged is lost or duplicated, of any kind. A kiosk session runs its whole
// course during the cut, its workstation on the cut instance: that instance cannot claim its moments, so the other
// claims them once they are half a second overdue, and the Redis adapter carries them to the workstation.
import { client } from '../helpers/http.js';
import { connectError, sleep } from '../helpers/sockets.js';
import { describeFaults, expectCutSeenBy, member, restoreLink } from './helpers/faults.js';
import { expectEveryoneOnline, expectKioskCourse, kioskCourseScenario } from './helpers/kiosk-course.js';
import { report, settledWithoutLoss } from './helpers/mixed-load.js';

// The kiosk session's end falls inside the cut, claimed by A half a second overdue: 9 s left it 0.26 s past the cut's
// end once, on the slower kind of machine.
const CUT_MS = 10_000;

describeFaults('Postgres cut from one instance of two under the mixed load', () => {
  const scenario = kioskCourseScenario({}, { postgresLinks: true });

  it("should answer 503 on the cut instance, keep its kiosk's moments coming from the other, and lose nothing", async () => {
    const { cluster, a, b } = scenario;
    const load = await scenario.setUpLoad();
    load.start();
    await sleep(500);

    cluster.postgresLinks[1].cut();
    const cutAt = Date.now();
    await sleep(CUT_MS / 2);
    await expectCutSeenBy(b, a, 'database');
    // A write on B is refused at once, cleanly.
    const asked = Date.now();
    const refused = await client(b.url).post('/api/v1/notifications/read-all', { token: load.users[1].token });
    expect([refused.status, refused.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    const refusedInMs = Date.now() - asked;
    expect(refusedInMs).toBeLessThan(5000);
    // A good token that B has not checked yet (its account's state is not in B's cache, and B cannot read it) is
    // refused as an outage, which clients retry, never as a bad token, which they give up.
    const newcomer = await member(a.url, 'newcomer');
    expect(await connectError(b.url, newcomer.token)).toBe('Service unavailable');
    await sleep(CUT_MS - (Date.now() - cutAt));
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();

    const restored = await restoreLink(cluster.postgresLinks[1], b);
    const recoveredInMs = await load.recovery(restored, { live: true });
    await expectEveryoneOnline(load, b.url);

    const counts = await settledWithoutLoss(load);
    // Claimed by A, half a second late and after its own pass (B holds the workstation's socket but cannot reach the
    // database), which leaves each tick 0.25–0.5 s before it comes a second late and the scheduler skips it (the
    // contract's missed tick, never replayed): on a loaded machine that happened to one tick in a clean-clone run, and
    // to two in another. Two seconds left out at most; the warning and the end still once each.
    expectKioskCourse(load, counts, cutAt, cutAt + CUT_MS, 2);
    report('Postgres cut from one instance 9 s', load, counts, {
      recoveredInMs,
      slowestMs: load.slowestMs,
      refusedInMs,
    });
  }, 90_000);
});
