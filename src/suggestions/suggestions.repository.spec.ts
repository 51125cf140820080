// The vote statement on a real database: Postgres with TEST_DATABASE_URL (concurrent sessions wait on the row
// lock), else embedded PGlite (see test/helpers/test-database.ts).
import { insertUser, openTestDatabase, type TestDatabase, testDatabaseKind } from '../../test/helpers/test-database.js';
import { NotificationsRepository } from '../notifications/notifications.repository.js';
import { SuggestionsRepository } from './suggestions.repository.js';
import type { VoteValue } from './vote-transition.js';

describe(`${SuggestionsRepository.name} [${testDatabaseKind}]`, () => {
  let db: TestDatabase;
  let sut: SuggestionsRepository;
  let author: string;

  beforeAll(async () => {
    db = await openTestDatabase(8);
    sut = new SuggestionsRepository(db.sql);
    author = await insertUser(db.dataSource, 'Author');
  }, 120_000);

  afterAll(() => db?.close());

  const create = (title = 'Idea') => sut.insert(db.dataSource.manager, { authorId: author, title, description: '' });

  /**
   * A vote as the service casts it: the lock and the write sent together in one transaction (on Postgres both go out
   * with the BEGIN in one write; the write runs once the lock is held).
   */
  const vote = (suggestionId: string, userId: string, value: VoteValue) =>
    db.uow.run(async ({ manager }) => {
      const [locked, written] = await Promise.all([
        sut.lock(manager, suggestionId),
        sut.writeVote(manager, suggestionId, userId, value),
      ]);
      expect(locked).toBeDefined();
      return written;
    });

  async function stored(id: string) {
    const s = (await sut.find(db.dataSource.manager, id))!;
    const [{ n }]: { n: number }[] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM suggestion_votes WHERE suggestion_id = $1`,
      [id],
    );
    return { upvotes: s.upvotes, downvotes: s.downvotes, score: s.score, version: s.version, rows: n };
  }

  it('should count concurrent votes of different users exactly, one version each', async () => {
    const suggestion = await create();
    expect(suggestion).toMatchObject({ upvotes: 0, downvotes: 0, version: 1, status: 'open' });
    const voters = await Promise.all(Array.from({ length: 24 }, (_, i) => insertUser(db.dataSource, `Voter ${i}`)));
    const results = await Promise.all(voters.map((id, i) => vote(suggestion.id, id, i % 3 === 0 ? -1 : 1)));
    expect(await stored(suggestion.id)).toEqual({ upvotes: 16, downvotes: 8, score: 8, version: 25, rows: 24 });
    // Each vote got its own version, 2..25: none was lost or counted twice.
    expect(results.map((r) => r!.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 2));
  });

  it('should move the counts once for a change, and write nothing for a repeat', async () => {
    const suggestion = await create();
    const voter = await insertUser(db.dataSource);
    expect(await vote(suggestion.id, voter, 1)).toEqual({ upvotes: 1, downvotes: 0, version: 2 });
    expect(await vote(suggestion.id, voter, 1)).toBeUndefined();
    expect(await vote(suggestion.id, voter, -1)).toEqual({ upvotes: 0, downvotes: 1, version: 3 });
    expect(await sut.voteOf(db.dataSource.manager, suggestion.id, voter)).toBe(-1);
    expect(await vote(suggestion.id, voter, 0)).toEqual({ upvotes: 0, downvotes: 0, version: 4 });
    expect(await vote(suggestion.id, voter, 0)).toBeUndefined();
    expect(await sut.voteOf(db.dataSource.manager, suggestion.id, voter)).toBe(0);
    expect(await stored(suggestion.id)).toEqual({ upvotes: 0, downvotes: 0, score: 0, version: 4, rows: 0 });
  });

  it('should count one vote when the same user sends it several times at once', async () => {
    const suggestion = await create();
    const voter = await insertUser(db.dataSource);
    const results = await Promise.all([1, 1, 1, 1].map((v) => vote(suggestion.id, voter, v as VoteValue)));
    expect(results.filter((r) => r !== undefined)).toEqual([{ upvotes: 1, downvotes: 0, version: 2 }]);
    expect(await stored(suggestion.id)).toEqual({ upvotes: 1, downvotes: 0, score: 1, version: 2, rows: 1 });
  });

  it('should leave counts and version as they were when the transaction rolls back', async () => {
    const suggestion = await create();
    const voter = await insertUser(db.dataSource);
    await expect(
      db.uow.run(async ({ manager }) => {
        await sut.lock(manager, suggestion.id);
        await sut.writeVote(manager, suggestion.id, voter, 1);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await stored(suggestion.id)).toEqual({ upvotes: 0, downvotes: 0, score: 0, version: 1, rows: 0 });
  });

  it('should write nothing on a closed suggestion, nor on an unknown one, even sent together with the lock', async () => {
    const suggestion = await create('Closed');
    const voter = await insertUser(db.dataSource, 'Late Voter');
    await db.uow.run(async ({ manager }) => {
      await sut.lock(manager, suggestion.id);
      await sut.setStatus(manager, suggestion.id, 'closed');
    });
    await expect(vote(suggestion.id, voter, 1)).resolves.toBeUndefined();
    expect(await stored(suggestion.id)).toMatchObject({ upvotes: 0, downvotes: 0, version: 2, rows: 0 });
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(
      db.uow.run(async ({ manager }) => {
        const [locked, written] = await Promise.all([
          sut.lock(manager, unknown),
          sut.writeVote(manager, unknown, voter, 1),
        ]);
        return { locked, written };
      }),
    ).resolves.toEqual({ locked: undefined, written: undefined });
  });

  it('should lock and answer the suggestion, and answer undefined for an unknown one', async () => {
    const suggestion = await create('Locked');
    await db.uow.run(async ({ manager }) => {
      expect(await sut.lock(manager, suggestion.id)).toMatchObject({
        id: suggestion.id,
        authorId: author,
        title: 'Locked',
        version: 1,
      });
      expect(await sut.lock(manager, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    });
  });

  describe('the author’s notice, sent behind the vote with the COMMIT as the service sends it', () => {
    let notices: NotificationsRepository;
    beforeAll(() => {
      notices = new NotificationsRepository(db.sql);
    });

    const voteAndNotify = (suggestionId: string, voterId: string, value: 1 | -1) =>
      db.uow.run(async (tx) => {
        const locked = sut.lock(tx.manager, suggestionId);
        const written = sut.writeVote(tx.manager, suggestionId, voterId, value);
        tx.commitBehindNextStatement();
        const notice = sut.authorNotice(suggestionId, voterId, {
          type: 'suggestion.vote',
          title: 'New vote',
          bodyTemplate: '%s voted on "%s"',
          anonymous: 'Someone',
          data: { value },
        });
        const [, counts, appended] = await Promise.all([
          locked,
          written,
          notices.appendSelected(tx.manager, notice.statement, notice.values),
        ]);
        return { counts, appended };
      });

    async function authorNotifications(): Promise<{ seq: number; body: string; unread: number }[]> {
      return db.dataSource.query(
        `SELECT n.seq, n.body, c.unread_count AS unread FROM notifications n
         JOIN notification_counters c ON c.user_id = n.user_id WHERE n.user_id = $1 ORDER BY n.seq`,
        [author],
      );
    }

    it('should notify the author of a vote that moved the counts, with the voter’s name and the title', async () => {
      const before = (await authorNotifications()).length;
      const suggestion = await create('Sunday hours');
      const voter = await insertUser(db.dataSource, 'Ada');
      const { counts, appended } = await voteAndNotify(suggestion.id, voter, 1);
      expect(counts).toEqual({ upvotes: 1, downvotes: 0, version: 2 });
      expect(appended.rows).toHaveLength(1);
      expect(appended.rows[0]).toMatchObject({ user_id: author, type: 'suggestion.vote', title: 'New vote' });
      expect(appended.rows[0].body).toBe('Ada voted on "Sunday hours"');
      // The name and the title also go into the data, for clients that word the notice in their reader's language.
      expect(appended.rows[0].data).toEqual({ value: 1, voterName: 'Ada', suggestionTitle: 'Sunday hours' });
      expect(appended.allocations).toEqual([
        { userId: author, seq: appended.rows[0].seq, unreadCount: before + 1, version: expect.any(Number) },
      ]);
      const stored = await authorNotifications();
      expect(stored).toHaveLength(before + 1);
      expect(stored.at(-1)).toMatchObject({ seq: appended.rows[0].seq, body: 'Ada voted on "Sunday hours"' });
    });

    it('should write no notice for a repeat, for the author’s own vote, or on a closed suggestion', async () => {
      const suggestion = await create('Quiet');
      const voter = await insertUser(db.dataSource, 'Grace');
      await voteAndNotify(suggestion.id, voter, 1);
      const before = (await authorNotifications()).length;
      const repeat = await voteAndNotify(suggestion.id, voter, 1);
      expect(repeat).toEqual({ counts: undefined, appended: { missing: [], allocations: [], rows: [] } });
      const own = await voteAndNotify(suggestion.id, author, 1);
      expect(own.counts).toEqual({ upvotes: 2, downvotes: 0, version: 3 });
      expect(own.appended.rows).toEqual([]);
      await db.uow.run(async ({ manager }) => {
        await sut.lock(manager, suggestion.id);
        await sut.setStatus(manager, suggestion.id, 'closed');
      });
      const late = await voteAndNotify(suggestion.id, await insertUser(db.dataSource, 'Late'), -1);
      expect(late).toEqual({ counts: undefined, appended: { missing: [], allocations: [], rows: [] } });
      expect(await authorNotifications()).toHaveLength(before);
    });

    it('should write one notice per counted vote, with consecutive seqs, under concurrent votes', async () => {
      const before = await authorNotifications();
      const suggestion = await create('Busy');
      const voters = await Promise.all(Array.from({ length: 12 }, (_, i) => insertUser(db.dataSource, `Busy ${i}`)));
      // Every voter twice at once: one of each pair counts, the other is a repeat.
      const results = await Promise.all([...voters, ...voters].map((id) => voteAndNotify(suggestion.id, id, 1)));
      expect(results.filter((r) => r.counts !== undefined)).toHaveLength(12);
      expect(results.filter((r) => r.appended.rows.length === 1)).toHaveLength(12);
      expect(results.every((r) => (r.counts === undefined) === (r.appended.rows.length === 0))).toBe(true);
      const after = await authorNotifications();
      expect(after).toHaveLength(before.length + 12);
      const lastSeq = before.at(-1)?.seq ?? 0;
      expect(after.slice(before.length).map((n) => n.seq)).toEqual(
        Array.from({ length: 12 }, (_, i) => lastSeq + i + 1),
      );
      expect(after.at(-1)!.unread).toBe(before.length + 12);
    });
  });

  it('should bump the version with a change of status', async () => {
    const suggestion = await create();
    const changed = await db.uow.run(async ({ manager }) => {
      await sut.lock(manager, suggestion.id);
      return sut.setStatus(manager, suggestion.id, 'closed');
    });
    expect(changed).toMatchObject({ id: suggestion.id, status: 'closed', version: 2 });
  });

  it('should page by score with the caller’s vote, and go on after a cursor', async () => {
    const voter = await insertUser(db.dataSource);
    const [low, high, mid] = [await create('low'), await create('high'), await create('mid')];
    await vote(low.id, voter, -1);
    await vote(high.id, voter, 1);
    await vote(high.id, author, 1);
    await vote(mid.id, author, 1);
    const mine = new Set([low.id, high.id, mid.id]);
    const page = (await sut.page(db.dataSource.manager, voter, { order: { by: 'score' }, take: 1000 })).filter((r) =>
      mine.has(r.suggestion.id),
    );
    expect(page.map((r) => [r.suggestion.title, r.suggestion.score, r.myVote])).toEqual([
      ['high', 2, 1],
      ['mid', 1, 0],
      ['low', -1, -1],
    ]);
    const after = page[1].suggestion;
    const rest = await sut.page(db.dataSource.manager, voter, {
      order: { by: 'score', after: [after.score, after.createdAt.toISOString(), after.id] },
      take: 1000,
    });
    expect(rest.every((r) => r.suggestion.score <= 1)).toBe(true);
    expect(rest.map((r) => r.suggestion.id)).toContain(low.id);
    expect(rest.map((r) => r.suggestion.id)).not.toContain(mid.id);
    expect(rest.map((r) => r.suggestion.id)).not.toContain(high.id);
  });
});
