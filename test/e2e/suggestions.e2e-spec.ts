import { DataSource } from 'typeorm';
import { type TestApp, startApp } from '../helpers/app.js';
import { createUsers, loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, eventually, waitFor } from '../helpers/sockets.js';

describeE2E('Suggestions and votes', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;
  let author: TestUser;
  let voter: TestUser;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
    author = await registerUser(sut, 'Author');
    voter = await registerUser(sut, 'Voter');
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  const create = async (title = 'Longer opening hours', token = author.token) => {
    const res = await api.post('/api/v1/suggestions', { token, body: { title, description: 'Please' } });
    expect(res.status).toBe(201);
    return res.body;
  };
  /** A vote over REST: 1 or −1 with PUT, 0 (retract) with DELETE. */
  const castVote = (id: string, token: string, value: number) =>
    value === 0
      ? api.delete(`/api/v1/suggestions/${id}/vote`, { token })
      : api.put(`/api/v1/suggestions/${id}/vote`, { token, body: { value } });
  /** The suggestion's counts as its stored votes give them, and as the API answers them. */
  const countsOf = async (id: string) => {
    const [stored]: { up: number; down: number }[] = await sut.app.get(DataSource).query(
      `SELECT count(*) FILTER (WHERE value = 1)::int AS up, count(*) FILTER (WHERE value = -1)::int AS down
       FROM suggestion_votes WHERE suggestion_id = $1`,
      [id],
    );
    const final = (await api.get(`/api/v1/suggestions/${id}`, { token: author.token })).body;
    return { stored, final };
  };

  it('should create a suggestion and announce it to subscribers without myVote', async () => {
    const socket = await connect(sut.url, voter.token);
    expect(await emitAck(socket, 'subscribe:suggestions', {})).toEqual({
      ok: true,
      data: { channel: 'suggestions:votes' },
    });
    const created = waitFor(socket, 'suggestion:created');
    const suggestion = await create('Announced suggestion');
    expect(suggestion).toMatchObject({
      title: 'Announced suggestion',
      status: 'open',
      upvotes: 0,
      downvotes: 0,
      score: 0,
      version: 1,
      myVote: 0,
    });
    const event = await created;
    expect(event).toEqual({ ...suggestion, myVote: undefined });
    expect('myVote' in event).toBe(false);
  });

  it('should refuse bad titles and unknown or malformed ids', async () => {
    const short = await api.post('/api/v1/suggestions', { token: author.token, body: { title: 'ab' } });
    expect(short.status).toBe(400);
    expect(short.body.code).toBe('VALIDATION_FAILED');
    expect((await api.get('/api/v1/suggestions/nope', { token: author.token })).status).toBe(400);
    const missing = await api.put('/api/v1/suggestions/00000000-0000-4000-8000-000000000000/vote', {
      token: author.token,
      body: { value: 1 },
    });
    expect(missing.status).toBe(404);
    const badValue = await api.put(`/api/v1/suggestions/${(await create()).id}/vote`, {
      token: author.token,
      body: { value: 2 },
    });
    expect(badValue.status).toBe(400);
  });

  it('should vote, switch, repeat and retract with exact counts, versions and myVote', async () => {
    const s = await create();
    const up = await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: 1 } });
    expect(up.body).toEqual({ suggestionId: s.id, upvotes: 1, downvotes: 0, score: 1, version: 2, myVote: 1 });
    const repeat = await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: 1 } });
    expect(repeat.body).toEqual({ suggestionId: s.id, upvotes: 1, downvotes: 0, score: 1, version: 2, myVote: 1 });
    const down = await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: -1 } });
    expect(down.body).toEqual({ suggestionId: s.id, upvotes: 0, downvotes: 1, score: -1, version: 3, myVote: -1 });
    const read = await api.get(`/api/v1/suggestions/${s.id}`, { token: voter.token });
    expect(read.body).toMatchObject({ upvotes: 0, downvotes: 1, score: -1, version: 3, myVote: -1 });
    expect((await api.get(`/api/v1/suggestions/${s.id}`, { token: author.token })).body.myVote).toBe(0);
    const retract = await api.delete(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token });
    expect(retract.status).toBe(200);
    expect(retract.body).toEqual({ suggestionId: s.id, upvotes: 0, downvotes: 0, score: 0, version: 4, myVote: 0 });
    const again = await api.delete(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token });
    expect(again.body.version).toBe(4);
  });

  it('should publish one suggestion:vote per change and nothing for a repeat', async () => {
    const s = await create();
    const socket = await connect(sut.url, author.token);
    await emitAck(socket, 'subscribe', { channel: 'suggestions:votes' });
    const votes = collect(socket, 'suggestion:vote');
    await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: 1 } });
    await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: 1 } });
    await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: author.token, body: { value: -1 } });
    // Barrier: a change made after the repeat leaves in the suggestion's version order, after anything it published.
    const later = waitFor(socket, 'suggestion:vote', (v) => v.suggestionId === s.id && v.version === 4);
    await api.delete(`/api/v1/suggestions/${s.id}/vote`, { token: author.token });
    await later;
    expect(votes.filter((v) => v.suggestionId === s.id)).toEqual([
      { suggestionId: s.id, upvotes: 1, downvotes: 0, score: 1, version: 2 },
      { suggestionId: s.id, upvotes: 1, downvotes: 1, score: 0, version: 3 },
      { suggestionId: s.id, upvotes: 1, downvotes: 0, score: 1, version: 4 },
    ]);
  });

  it("should notify the author of others' votes, not of their own", async () => {
    const s = await create('Notify me');
    const socket = await connect(sut.url, author.token);
    const notifications = collect(socket, 'notification');
    await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: author.token, body: { value: 1 } });
    const arrived = waitFor(socket, 'notification', (n) => n.type === 'suggestion.vote');
    await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: -1 } });
    const n = await arrived;
    expect(n).toMatchObject({
      userId: author.id,
      type: 'suggestion.vote',
      title: 'New downvote on your suggestion',
      body: 'Voter voted against "Notify me"',
      data: { suggestionId: s.id, voterId: voter.id, value: -1, voterName: 'Voter', suggestionTitle: 'Notify me' },
    });
    // Barrier: the voter's switch, made after both votes, is notified in the author's notification order, after
    // anything they published.
    const later = waitFor(socket, 'notification', (x) => x.data?.suggestionId === s.id && x.data.value === 1);
    await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: 1 } });
    await later;
    expect(
      notifications.filter((x) => x.data?.suggestionId === s.id).map((x) => [x.data.voterId, x.data.value]),
    ).toEqual([
      [voter.id, -1],
      [voter.id, 1],
    ]);
  });

  it('should let the author or an admin close a suggestion, which then refuses votes with 409', async () => {
    const s = await create();
    const socket = await connect(sut.url, voter.token);
    await emitAck(socket, 'subscribe:suggestions', {});
    const refused = await api.patch(`/api/v1/suggestions/${s.id}`, { token: voter.token, body: { status: 'closed' } });
    expect(refused.status).toBe(403);
    const updated = waitFor(socket, 'suggestion:updated', (p) => p.id === s.id);
    const closed = await api.patch(`/api/v1/suggestions/${s.id}`, { token: author.token, body: { status: 'closed' } });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', version: 2 });
    expect(await updated).toMatchObject({ id: s.id, status: 'closed', version: 2 });
    const vote = await api.put(`/api/v1/suggestions/${s.id}/vote`, { token: voter.token, body: { value: 1 } });
    expect(vote.status).toBe(409);
    expect(vote.body.code).toBe('INVALID_TRANSITION');
    const admin = await loginAdmin(sut);
    const reopened = await api.patch(`/api/v1/suggestions/${s.id}`, { token: admin.token, body: { status: 'open' } });
    expect(reopened.body).toMatchObject({ status: 'open', version: 3 });
  });

  it('should announce the votes counted before a close before the close, even while the stream is held', async () => {
    const s = await create('Announced in order');
    await castVote(s.id, author.token, 1);
    // Subscribed after the first vote: this instance first sees the stream at its second event, and holds it briefly
    // for predecessors that might still be on their way from another instance.
    const socket = await connect(sut.url, voter.token);
    await emitAck(socket, 'subscribe:suggestions', {});
    const heard: string[] = [];
    socket.on('suggestion:vote', (v: { suggestionId: string; version: number }) => {
      if (v.suggestionId === s.id) heard.push(`vote ${v.version}`);
    });
    socket.on('suggestion:updated', (u: { id: string; status: string; version: number }) => {
      if (u.id === s.id) heard.push(`${u.status} ${u.version}`);
    });
    expect((await castVote(s.id, voter.token, 1)).body.version).toBe(3);
    const closed = await api.patch(`/api/v1/suggestions/${s.id}`, { token: author.token, body: { status: 'closed' } });
    expect(closed.body.version).toBe(4);
    await eventually(() => expect(heard).toHaveLength(3));
    expect(heard).toEqual(['vote 3', 'closed 4', 'vote 4']);
  });

  it('should sort by score or recency with cursor pagination', async () => {
    const [a, b, c] = [await create('Sort alpha'), await create('Sort beta'), await create('Sort gamma')];
    await api.put(`/api/v1/suggestions/${b.id}/vote`, { token: voter.token, body: { value: 1 } });
    await api.put(`/api/v1/suggestions/${b.id}/vote`, { token: author.token, body: { value: 1 } });
    await api.put(`/api/v1/suggestions/${a.id}/vote`, { token: voter.token, body: { value: 1 } });
    await api.put(`/api/v1/suggestions/${c.id}/vote`, { token: voter.token, body: { value: -1 } });
    const ids = new Set([a.id, b.id, c.id]);
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.get(`/api/v1/suggestions?sort=score&limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        token: voter.token,
      });
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const ours = all.filter((s) => ids.has(s.id));
    expect(ours.map((s) => s.id)).toEqual([b.id, a.id, c.id]);
    expect(ours.map((s) => s.myVote)).toEqual([1, 1, -1]);
    const scores = all.map((s) => s.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    const recent = await api.get('/api/v1/suggestions?sort=recent&limit=3', { token: voter.token });
    expect(recent.body.items.map((s: any) => s.id)).toEqual([c.id, b.id, a.id]);
    expect((await api.get('/api/v1/suggestions?sort=best', { token: voter.token })).status).toBe(400);
  });

  it('should keep counts exact when each voter sends several votes at once (several devices)', async () => {
    const s = await create('Same voter, at once');
    const voters = await createUsers(sut, 10, 'Eager');
    const values = [1, 1, -1, 1, 0, -1, 1, -1];
    const answers = await Promise.all(voters.flatMap((v) => values.map((value) => castVote(s.id, v.token, value))));
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200));
    const { stored, final } = await countsOf(s.id);
    expect({ up: final.upvotes, down: final.downvotes }).toEqual(stored);
  });

  it('should keep counts exact under 100 concurrent voters, and the highest version seen carries them', async () => {
    const s = await create('Concurrent');
    const voters = await createUsers(sut, 100, 'Concurrent');
    const socket = await connect(sut.url, author.token);
    await emitAck(socket, 'subscribe:suggestions', {});
    const events = collect(socket, 'suggestion:vote');
    // Each voter does one of: up, down, up then switch, down then retract, up twice.
    const plans = voters.map((_, i) => [[1], [-1], [1, -1], [-1, 0], [1, 1]][i % 5]);
    await Promise.all(
      voters.map(async (v, i) => {
        for (const value of plans[i]) expect((await castVote(s.id, v.token, value)).status).toBe(200);
      }),
    );
    const { stored, final } = await countsOf(s.id);
    expect({ up: final.upvotes, down: final.downvotes }).toEqual(stored);
    expect(stored).toEqual({ up: 40, down: 40 });
    // 100 first votes + 20 switches + 20 retractions change something; the 20 repeats do not.
    expect(final.version).toBe(1 + 140);
    await eventually(() => events.some((e) => e.suggestionId === s.id && e.version === final.version));
    const ours = events.filter((e) => e.suggestionId === s.id);
    const highest = ours.reduce((best, e) => (e.version > best.version ? e : best), ours[0]);
    expect(highest).toEqual({ suggestionId: s.id, upvotes: 40, downvotes: 40, score: 0, version: final.version });
    expect(new Set(ours.map((e) => e.version)).size).toBe(ours.length);
  });

  it('should page through suggestions made within one millisecond, in both orders, skipping none', async () => {
    // Postgres stamps `created_at` with microseconds: rows made within one millisecond differ below it. They are dated
    // ahead of every other suggestion of this spec and given the highest score, so they open both lists.
    const dataSource = sut.app.get(DataSource);
    const rows: { id: string; title: string }[] = await dataSource.query(
      `INSERT INTO suggestions (author_id, title, upvotes, created_at)
       SELECT $1, 'Same millisecond ' || i, 1000000,
              '2100-01-01T00:00:00.123Z'::timestamptz + make_interval(secs => i / 1e6)
       FROM generate_series(1, 4) AS i
       RETURNING id, title`,
      [author.id],
    );
    const newestFirst = rows.map((r) => r.title).reverse();
    try {
      for (const sort of ['recent', 'score']) {
        for (const limit of [1, 2]) {
          const titles: string[] = [];
          let cursor: string | null = null;
          do {
            const query = `sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
            const page: any = await api.get(`/api/v1/suggestions?${query}`, { token: voter.token });
            expect(page.status).toBe(200);
            titles.push(...page.body.items.map((s: { title: string }) => s.title));
            cursor = page.body.nextCursor;
          } while (cursor && titles.length < rows.length);
          expect({ sort, limit, titles: titles.slice(0, rows.length) }).toEqual({ sort, limit, titles: newestFirst });
        }
      }
    } finally {
      await dataSource.query(`DELETE FROM suggestions WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
    }
  });
});
