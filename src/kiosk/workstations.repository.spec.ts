// The workstation statements on a real database: Postgres with TEST_DATABASE_URL, else embedded PGlite (see
// test/helpers/test-database.ts). The claims (offline due, silent) must hand each workstation to one caller.
import { openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { KioskSessionsRepository } from './kiosk-sessions.repository.js';
import { WorkstationsRepository } from './workstations.repository.js';

describe(`${WorkstationsRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  let sut: WorkstationsRepository;
  let sessions: KioskSessionsRepository;
  let codes = 0;

  beforeAll(async () => {
    db = await openTestDatabase(4);
    sut = new WorkstationsRepository();
    sessions = new KioskSessionsRepository();
  }, 120_000);

  afterAll(() => db?.close());

  beforeEach(async () => {
    await db.dataSource.query(`DELETE FROM kiosk_sessions`);
    await db.dataSource.query(`DELETE FROM workstations`);
  });

  const manager = () => db.dataSource.manager;

  async function status(id: string): Promise<{ status: string; offline_at: Date | null }> {
    const rows: { status: string; offline_at: Date | null }[] = await db.dataSource.query(
      `SELECT status, offline_at FROM workstations WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  /** A session on `workstationId`, started. */
  async function startSession(workstationId: string): Promise<string> {
    codes += 1;
    const session = await sessions.insert(manager(), `W${String(codes).padStart(5, '0')}`, null, 600);
    await sessions.bindByCode(manager(), session.access_code, workstationId);
    await db.uow.run(({ manager: m }) => sessions.start(m, session.id, 5, []));
    return session.id;
  }

  it('should start offline, and come back occupied or available as its sessions say, with the status before', async () => {
    const desk = await sut.insert(manager(), 'Desk', '10.0.0.1');
    expect(desk).toMatchObject({ status: 'offline', token_version: 0, ip_address: '10.0.0.1' });

    expect(await sut.markConnected(manager(), desk.id)).toEqual([
      expect.objectContaining({ id: desk.id, status: 'available', previous_status: 'offline' }),
    ]);
    expect(await sut.markConnected(manager(), desk.id)).toEqual([
      expect.objectContaining({ status: 'available', previous_status: 'available' }),
    ]);
    await startSession(desk.id);
    expect(await sut.markConnected(manager(), desk.id)).toEqual([
      expect.objectContaining({ status: 'occupied', previous_status: 'available' }),
    ]);
  });

  it('should follow its sessions: occupied while one is active, available after, offline kept offline', async () => {
    const desk = (await sut.insert(manager(), 'Desk', null)).id;
    const away = (await sut.insert(manager(), 'Away', null)).id;
    await sut.markConnected(manager(), desk);
    const session = await startSession(desk);
    await startSession(away);

    const changed = await db.uow.run(({ manager: m }) => sut.followSessions(m, [desk, away]));
    expect(changed).toEqual([expect.objectContaining({ id: desk, status: 'occupied' })]);
    // No change, no row.
    expect(await sut.followSessions(manager(), [desk, away])).toEqual([]);
    expect((await status(away)).status).toBe('offline');

    await db.uow.run(({ manager: m }) => sessions.end(m, session, 'closed'));
    expect(await sut.followSessions(manager(), [desk])).toEqual([
      expect.objectContaining({ id: desk, status: 'available' }),
    ]);
    expect(await sut.followSessions(manager(), [])).toEqual([]);
  });

  it('should hand a workstation whose offline moment came to one claim, then take it offline once', async () => {
    const desk = (await sut.insert(manager(), 'Desk', null)).id;
    const later = (await sut.insert(manager(), 'Later', null)).id;
    await sut.markConnected(manager(), desk);
    await sut.markConnected(manager(), later);
    await sut.markLastSocketLeft(manager(), desk, 0);
    await sut.markLastSocketLeft(manager(), later, 3600);

    const [first, second] = await Promise.all([sut.claimOfflineDue(manager()), sut.claimOfflineDue(manager())]);
    const claims = [...first, ...second];
    expect(claims).toEqual([{ id: desk, claimedAt: expect.any(String) }]);
    expect(await sut.claimOfflineDue(manager())).toEqual([]);

    const [claim] = claims;
    expect(await sut.goOffline(manager(), claim)).toEqual([expect.objectContaining({ id: desk, status: 'offline' })]);
    expect(await sut.goOffline(manager(), claim)).toEqual([]);
    // One whose moment is still ahead is not taken, even when asked (a socket may come back).
    expect(await sut.goOffline(manager(), { id: later, claimedAt: claim.claimedAt })).toEqual([]);
    expect((await status(later)).status).toBe('available');
  });

  it('should not take offline a workstation heard from after its claim (a socket came back meanwhile)', async () => {
    const desk = (await sut.insert(manager(), 'Desk', null)).id;
    const beating = (await sut.insert(manager(), 'Beating', null)).id;
    for (const id of [desk, beating]) {
      await sut.markConnected(manager(), id);
      await sut.markLastSocketLeft(manager(), id, 0);
    }
    const claims = await sut.claimOfflineDue(manager());
    expect(claims.map((c) => c.id).sort()).toEqual([desk, beating].sort());
    // The database clock moves on between statements; each of these comes after the claim.
    await db.dataSource.query(`SELECT pg_sleep(0.01)`);
    await sut.markConnected(manager(), desk);
    await sut.markSeen(manager(), beating);
    for (const claim of claims) expect(await sut.goOffline(manager(), claim)).toEqual([]);
    expect((await status(desk)).status).toBe('available');
    expect((await status(beating)).status).toBe('available');
  });

  it('should put a claim back once, and not over a moment planned since', async () => {
    const desk = (await sut.insert(manager(), 'Desk', null)).id;
    await sut.markConnected(manager(), desk);
    await sut.markLastSocketLeft(manager(), desk, 0);
    expect((await sut.claimOfflineDue(manager())).map((c) => c.id)).toEqual([desk]);

    await sut.retryOffline(manager(), desk);
    expect((await sut.claimOfflineDue(manager())).map((c) => c.id)).toEqual([desk]);

    await sut.markLastSocketLeft(manager(), desk, 3600);
    const planned = (await status(desk)).offline_at;
    await sut.retryOffline(manager(), desk);
    expect((await status(desk)).offline_at).toEqual(planned);
  });

  it('should claim a silent workstation once per period and hand it to the offline pass', async () => {
    const silent = (await sut.insert(manager(), 'Silent', null)).id;
    const offline = (await sut.insert(manager(), 'Offline', null)).id;
    await sut.markConnected(manager(), silent);
    await db.dataSource.query(`UPDATE workstations SET last_seen_at = now() - interval '1 hour' WHERE id = $1`, [
      silent,
    ]);

    const [first, second] = await Promise.all([sut.claimSilent(manager(), 60), sut.claimSilent(manager(), 60)]);
    expect([...first, ...second]).toEqual([silent]);
    expect(await sut.claimSilent(manager(), 60)).toEqual([]);

    await sut.offlineNow(manager(), [silent, offline]);
    expect((await status(offline)).offline_at).toBeNull();
    expect((await sut.claimOfflineDue(manager())).map((c) => c.id)).toEqual([silent]);
  });

  it('should move the token version on rotation, and answer it', async () => {
    const desk = (await sut.insert(manager(), 'Desk', null)).id;
    expect(await sut.tokenVersion(manager(), desk)).toBe(0);
    expect(await sut.rotateToken(manager(), desk)).toMatchObject({ id: desk, token_version: 1 });
    expect(await sut.tokenVersion(manager(), desk)).toBe(1);
    const unknown = '0b000000-0000-4000-8000-00000000ffff';
    expect(await sut.rotateToken(manager(), unknown)).toBeUndefined();
    expect(await sut.tokenVersion(manager(), unknown)).toBeUndefined();
  });

  it('should record an address only when it changed, and page oldest first', async () => {
    const made = [];
    for (const name of ['A', 'B', 'C']) made.push(await sut.insert(manager(), name, null));
    expect(await sut.setAddress(manager(), made[0].id, '10.0.0.9')).toEqual([
      expect.objectContaining({ ip_address: '10.0.0.9' }),
    ]);
    expect(await sut.setAddress(manager(), made[0].id, '10.0.0.9')).toEqual([]);
    expect(await sut.markSeen(manager(), made[0].id)).toBeInstanceOf(Date);

    const first = await sut.page(manager(), { take: 2 });
    expect(first.map((r) => r.name)).toEqual(['A', 'B']);
    const rest = await sut.page(manager(), {
      take: 2,
      after: { createdAt: first[1].cursor_created_at, id: first[1].id },
    });
    expect(rest.map((r) => r.name)).toEqual(['C']);
  });
});
