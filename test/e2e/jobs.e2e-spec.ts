import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import type { Socket } from 'socket.io-client';
import {
  type Ack,
  closeAllSockets,
  collect,
  connect,
  connectError,
  emitAck,
  eventually,
  sleep,
  waitDisconnect,
  waitFor,
} from '../helpers/sockets.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface JobEvent {
  type: string;
  jobId: string;
  seq: number;
  timestamp: string;
  data: Record<string, unknown>;
}

describeE2E('Jobs', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;
  let owner: TestUser;
  let stranger: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
    [owner, stranger, admin] = await Promise.all([
      registerUser(sut, 'Job Owner'),
      registerUser(sut, 'Stranger'),
      loginAdmin(sut),
    ]);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  async function createJob(user = owner, body: Record<string, unknown> = { name: 'Scrape' }): Promise<any> {
    const res = await api.post('/api/v1/jobs', { token: user.token, body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function workerToken(jobId: string, user = owner): Promise<string> {
    const res = await api.post(`/api/v1/jobs/${jobId}/token`, { token: user.token });
    expect(res.status).toBe(201);
    return res.body.token;
  }

  function post(jobId: string, token: string, type: string, data?: Record<string, unknown>) {
    return api.post(`/api/v1/jobs/${jobId}/events`, { token, body: data === undefined ? { type } : { type, data } });
  }

  async function postOk(jobId: string, token: string, type: string, data?: Record<string, unknown>): Promise<number> {
    const res = await post(jobId, token, type, data);
    expect(res.status).toBe(201);
    return res.body.seq;
  }

  /** Every stored event of the job, following nextCursor. */
  async function history(jobId: string, user = owner): Promise<JobEvent[]> {
    const all: JobEvent[] = [];
    let path = `/api/v1/jobs/${jobId}/events?limit=100`;
    for (;;) {
      const res = await api.get(path, { token: user.token });
      expect(res.status).toBe(200);
      all.push(...res.body.items);
      if (!res.body.nextCursor) return all;
      path = `/api/v1/jobs/${jobId}/events?limit=100&cursor=${res.body.nextCursor}`;
    }
  }

  describe('create, read and list', () => {
    it('should create a pending job of the contract shape', async () => {
      const job = await createJob(owner, { name: '  Catalogue  ', totalPages: 12, status: 'completed' });
      expect(job).toEqual({
        id: expect.any(String),
        ownerId: owner.id,
        name: 'Catalogue',
        status: 'pending',
        progress: { itemsScraped: 0, pagesScraped: 0, currentPage: 0, totalPages: 12, elapsedTime: 0 },
        error: null,
        createdAt: expect.any(String),
        startedAt: null,
        finishedAt: null,
      });
      const read = await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(job);
      expect((await createJob(owner, { name: 'No pages' })).progress.totalPages).toBeNull();
    });

    it('should refuse a bad name or totalPages with 400 VALIDATION_FAILED', async () => {
      for (const body of [
        {},
        { name: '' },
        { name: 'x'.repeat(201) },
        { name: 'a', totalPages: -1 },
        { name: 'a', totalPages: 1.5 },
      ]) {
        const res = await api.post('/api/v1/jobs', { token: owner.token, body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('should list own jobs newest first (all for an admin), page by cursor and filter by status', async () => {
      const lister = await registerUser(sut, 'Lister');
      const jobs = [];
      for (let i = 0; i < 3; i += 1) jobs.push(await createJob(lister, { name: `L${i}` }));
      await postOk(jobs[0].id, lister.token, 'job_started');
      const first = await api.get('/api/v1/jobs?limit=2', { token: lister.token });
      expect(first.status).toBe(200);
      expect(first.body.items.map((j: any) => j.name)).toEqual(['L2', 'L1']);
      const second = await api.get(`/api/v1/jobs?limit=2&cursor=${first.body.nextCursor}`, { token: lister.token });
      expect(second.body).toEqual({
        items: [expect.objectContaining({ name: 'L0', status: 'running' })],
        nextCursor: null,
      });
      const running = await api.get('/api/v1/jobs?status=running', { token: lister.token });
      expect(running.body.items.map((j: any) => j.id)).toEqual([jobs[0].id]);
      const all = await api.get('/api/v1/jobs?limit=100', { token: admin.token });
      expect(all.body.items.map((j: any) => j.ownerId)).toEqual(expect.arrayContaining([lister.id, owner.id]));
      const strangers = await api.get('/api/v1/jobs', { token: stranger.token });
      expect(strangers.body.items.every((j: any) => j.ownerId === stranger.id)).toBe(true);
      expect((await api.get('/api/v1/jobs?status=done', { token: lister.token })).status).toBe(400);
      expect((await api.get('/api/v1/jobs?cursor=garbage', { token: lister.token })).status).toBe(400);
    });

    it('should answer 404 for an unknown job and 400 for a malformed id', async () => {
      const unknown = await api.get(`/api/v1/jobs/${UNKNOWN_ID}`, { token: owner.token });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('NOT_FOUND');
      expect((await api.get('/api/v1/jobs/nope', { token: owner.token })).status).toBe(400);
      expect((await post(UNKNOWN_ID, owner.token, 'job_started')).status).toBe(404);
    });
  });

  describe('a whole job', () => {
    it('should store and deliver every event in seq order, and keep the job current', async () => {
      const job = await createJob(owner, { name: 'Whole job' });
      const token = await workerToken(job.id);
      const watcher = await connect(sut.url, owner.token);
      const seen = collect<JobEvent>(watcher, 'event');
      const subscribed = await emitAck(watcher, 'subscribe:job', { jobId: job.id });
      expect(subscribed).toEqual({ ok: true, data: { channel: `job:${job.id}`, snapshot: job } });

      const steps: [string, Record<string, unknown> | undefined][] = [
        ['job_started', { totalPages: 2 }],
        ['item_scraped', { item: { title: 'A', price: 1 } }],
        ['item_scraped', { item: { title: 'B', price: 2 } }],
        ['job_progress', { pagesScraped: 1, currentPage: 1 }],
        ['item_scraped', { item: { title: 'C', price: 3 } }],
        ['job_progress', { pagesScraped: 2, currentPage: 2 }],
        ['job_completed', { summary: { items: 3 } }],
      ];
      const seqs = [];
      for (const [type, data] of steps) seqs.push(await postOk(job.id, token, type, data));
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);

      await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(steps.length), 20_000);
      expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(seen.map((e) => e.type)).toEqual(steps.map(([type]) => type));
      expect(seen[1]).toEqual({
        type: 'item_scraped',
        jobId: job.id,
        seq: 2,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        data: { item: { title: 'A', price: 1 } },
      });

      const done = await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token });
      expect(done.body).toMatchObject({
        status: 'completed',
        progress: { itemsScraped: 3, pagesScraped: 2, currentPage: 2, totalPages: 2, elapsedTime: expect.any(Number) },
        error: null,
        startedAt: expect.any(String),
        finishedAt: expect.any(String),
      });
      expect(await history(job.id)).toEqual(seen);
      const late = await api.get(`/api/v1/jobs/${job.id}/events?afterSeq=5`, { token: admin.token });
      expect(late.body).toEqual({ items: seen.slice(5), nextCursor: null });
      const paged = await api.get(`/api/v1/jobs/${job.id}/events?limit=3`, { token: owner.token });
      expect(paged.body.items.map((e: JobEvent) => e.seq)).toEqual([1, 2, 3]);
      expect(typeof paged.body.nextCursor).toBe('string');
    });

    it('should give a late subscriber the current job as snapshot', async () => {
      const job = await createJob();
      await postOk(job.id, owner.token, 'job_started', { totalPages: 5 });
      await postOk(job.id, owner.token, 'job_progress', { itemsScraped: 40, currentPage: 3 });
      const watcher = await connect(sut.url, admin.token);
      const ack = await emitAck(watcher, 'subscribe', { channel: `job:${job.id}` });
      expect(ack.ok && ack.data.snapshot).toMatchObject({
        id: job.id,
        status: 'running',
        progress: { itemsScraped: 40, currentPage: 3, totalPages: 5 },
      });
    });

    it('should not send a mid-job subscriber, after its snapshot, an event the snapshot already counts', async () => {
      const job = await createJob(owner, { name: 'Busy catalogue' });
      const token = await workerToken(job.id);
      expect(await postOk(job.id, token, 'job_started')).toBe(1);

      // The worker reports items one after the other, as a scraper does, while viewers open the job one by one.
      let running = true;
      let n = 0;
      const worker = Promise.all(
        [1, 2, 3, 4].map(async () => {
          while (running) await postOk(job.id, token, 'item_scraped', { item: { n: (n += 1) } });
        }),
      );

      const views: { socket: Socket; snapshotItems: number; beforeAck: JobEvent[]; afterAck: JobEvent[] }[] = [];
      // Viewers open the job one by one, each alone in its room at first (the one before closed its tab), then beside
      // one that stays (an administrator following the job): there this instance delivers the stream's events at once.
      const staying = await connect(sut.url, admin.token);
      for (let i = 0; i < 12; i += 1) {
        await sleep(100);
        views.at(-1)?.socket.close();
        if (i === 6) expect((await emitAck(staying, 'subscribe:job', { jobId: job.id })).ok).toBe(true);
        await sleep(50);
        const socket = await connect(sut.url, owner.token);
        let acked = false;
        const beforeAck: JobEvent[] = [];
        const afterAck: JobEvent[] = [];
        socket.on('event', (event: JobEvent) => (acked ? afterAck : beforeAck).push(event));
        // Marked as the answer comes, not when the promise is resolved: events in the same read of the network are
        // handled before any promise.
        const ack = await new Promise<Ack>((resolve) =>
          socket.emit('subscribe:job', { jobId: job.id }, (answer: Ack) => {
            acked = true;
            resolve(answer);
          }),
        );
        expect(ack.ok).toBe(true);
        const snapshot = (ack as { data: { snapshot: any } }).data.snapshot;
        views.push({ socket, snapshotItems: snapshot.progress.itemsScraped, beforeAck, afterAck });
      }
      await sleep(300);
      running = false;
      await worker;
      await sleep(500);

      // Only item_scraped follows job_started (seq 1): a snapshot with n items reflects the events up to seq n + 1. An
      // event the viewer gets after that snapshot with a seq at or below n + 1 is counted twice by anyone who applies
      // the contract's effects to the snapshot (the web app's list and job page do). The snapshot carries no seq, so a
      // client could not tell: the server sends none of those.
      // Nor any before its answer: a client applies the events to the snapshot, and one that came first is overwritten.
      const counted = views.map(({ snapshotItems, beforeAck, afterAck }) => ({
        snapshotItems,
        beforeAnswer: beforeAck.map((e) => e.seq),
        alreadyInSnapshot: afterAck.filter((e) => e.seq <= snapshotItems + 1).map((e) => e.seq),
      }));
      expect(counted).toEqual(
        counted.map(({ snapshotItems }) => ({ snapshotItems, beforeAnswer: [], alreadyInSnapshot: [] })),
      );

      // And so the progress the last viewer (still open) computes, snapshot and events, is the job's.
      const final = (await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token })).body.progress.itemsScraped;
      const last = views.at(-1)!;
      expect(last.snapshotItems + last.afterAck.filter((e) => e.type === 'item_scraped').length).toBe(final);
      staying.close();
    });

    it("should deliver the job's final event to its worker's socket before disconnecting it", async () => {
      const job = await createJob(owner, { name: 'Watched by its worker' });
      const token = await workerToken(job.id);
      // The owner starts the job (say, from a dashboard); the worker then follows the job's channel and finishes it.
      await postOk(job.id, owner.token, 'job_started');
      const socket = await connect(sut.url, token);
      const seen = collect<JobEvent>(socket, 'event');
      expect((await emitAck(socket, 'subscribe:job', { jobId: job.id })).ok).toBe(true);
      const gone = waitDisconnect(socket);
      expect(await postOk(job.id, token, 'job_completed', { summary: { items: 0 } })).toBe(2);
      await gone;
      // Every event in seq order to every subscriber: the worker joined `job:{id}` and must see its job end.
      expect(seen.map((e) => [e.seq, e.type])).toEqual([[2, 'job_completed']]);
    });

    it('should fail a job with its error', async () => {
      const job = await createJob();
      await postOk(job.id, owner.token, 'job_failed', { error: 'robots.txt forbids it' });
      const read = await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token });
      expect(read.body).toMatchObject({
        status: 'failed',
        error: 'robots.txt forbids it',
        finishedAt: expect.any(String),
      });
    });
  });

  describe('many events at once', () => {
    it('should store 500 concurrent events with seqs and no gap, and deliver them in order', async () => {
      const job = await createJob(owner, { name: 'Busy' });
      const token = await workerToken(job.id);
      const watcher = await connect(sut.url, owner.token);
      const seen = collect<JobEvent>(watcher, 'event');
      expect((await emitAck(watcher, 'subscribe:job', { jobId: job.id })).ok).toBe(true);
      expect(await postOk(job.id, token, 'job_started')).toBe(1);

      const responses = await Promise.all(
        Array.from({ length: 500 }, (_, i) => post(job.id, token, 'item_scraped', { item: { n: i } })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(500).fill(201));
      const seqs = responses.map((r) => r.body.seq as number).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));

      await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(501), 20_000);
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
      const stored = await history(job.id);
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
      // Each response's seq is the seq its own item was stored under.
      const bySeq = new Map(stored.map((e) => [e.seq, e]));
      responses.forEach((r, i) => expect(bySeq.get(r.body.seq)?.data).toEqual({ item: { n: i } }));
      const read = await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token });
      expect(read.body.progress.itemsScraped).toBe(500);
    });
  });

  describe('transitions and validation', () => {
    it('should refuse events out of order with 409 INVALID_TRANSITION', async () => {
      const job = await createJob();
      for (const type of ['job_progress', 'item_scraped', 'job_completed']) {
        const res = await post(job.id, owner.token, type, type === 'item_scraped' ? { item: {} } : {});
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('INVALID_TRANSITION');
      }
      await postOk(job.id, owner.token, 'job_started');
      expect((await post(job.id, owner.token, 'job_started')).body.code).toBe('INVALID_TRANSITION');
      await postOk(job.id, owner.token, 'job_completed');
      for (const [type, data] of [
        ['item_scraped', { item: { late: true } }],
        ['job_progress', { currentPage: 2 }],
        ['job_completed', {}],
        ['job_failed', { error: 'late' }],
        ['job_started', {}],
      ] as const) {
        const res = await post(job.id, owner.token, type, data);
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('INVALID_TRANSITION');
      }
      // Refused events take no seq.
      expect((await history(job.id)).map((e) => e.seq)).toEqual([1, 2]);
    });

    it('should refuse a bad type or data with 400 VALIDATION_FAILED', async () => {
      const job = await createJob();
      await postOk(job.id, owner.token, 'job_started');
      const cases: [Record<string, unknown>, string][] = [
        [{ type: 'job_paused' }, 'type'],
        [{ type: 'item_scraped', data: { item: 'text' } }, 'data.item'],
        [{ type: 'item_scraped' }, 'data.item'],
        [{ type: 'job_progress', data: { itemsScraped: -1 } }, 'data.itemsScraped'],
        [{ type: 'job_progress', data: { currentPage: 'two' } }, 'data.currentPage'],
        [{ type: 'job_failed', data: { error: '' } }, 'data.error'],
        [{ type: 'job_failed', data: { error: 'x'.repeat(2001) } }, 'data.error'],
        [{ type: 'job_progress', data: [1] }, 'data'],
        [{ type: 'job_progress', data: { currentPage: null } }, 'data.currentPage'],
      ];
      for (const [body, field] of cases) {
        const res = await api.post(`/api/v1/jobs/${job.id}/events`, { token: owner.token, body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
      }
      const nul = await post(job.id, owner.token, 'item_scraped', { item: { text: 'a\u0000b' } });
      expect(nul.status).toBe(400);
      expect((await history(job.id)).map((e) => e.seq)).toEqual([1]);
    });

    it('should store and deliver an item as sent, keys named like methods of Object included', async () => {
      const job = await createJob();
      await postOk(job.id, owner.token, 'job_started');
      const item = JSON.parse(
        '{"driver":"Hamilton","constructor":"Mercedes","laps":[{"toString":"y","constructor":"x"}]}',
      );
      await postOk(job.id, owner.token, 'item_scraped', { item });
      expect((await history(job.id)).find((e) => e.type === 'item_scraped')?.data).toEqual({ item });
    });

    it("should keep counting items at the counter's limit, without failing the events written beside them", async () => {
      const job = await createJob();
      await postOk(job.id, owner.token, 'job_started');
      await postOk(job.id, owner.token, 'job_progress', { itemsScraped: 2_147_483_647 });
      const burst = await Promise.all([
        post(job.id, owner.token, 'item_scraped', { item: { n: 1 } }),
        ...[1, 2, 3].map((page) => post(job.id, owner.token, 'job_progress', { currentPage: page })),
      ]);
      expect(burst.map((res) => res.status)).toEqual([201, 201, 201, 201]);
      const read = await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token });
      expect(read.body.progress.itemsScraped).toBe(2_147_483_647);
    });
  });

  describe('access', () => {
    it('should refuse other users: 403 on reads, writes and tokens, FORBIDDEN on subscribe', async () => {
      const job = await createJob();
      for (const res of [
        await api.get(`/api/v1/jobs/${job.id}`, { token: stranger.token }),
        await api.get(`/api/v1/jobs/${job.id}/events`, { token: stranger.token }),
        await api.post(`/api/v1/jobs/${job.id}/token`, { token: stranger.token }),
        await post(job.id, stranger.token, 'job_started'),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      const socket = await connect(sut.url, stranger.token);
      expect(await emitAck(socket, 'subscribe:job', { jobId: job.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(await emitAck(socket, 'subscribe:job', { jobId: UNKNOWN_ID })).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      // The job did not move.
      expect((await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token })).body.status).toBe('pending');
    });

    it('should let an admin read, post to and mint a token for any job', async () => {
      const job = await createJob();
      expect((await api.get(`/api/v1/jobs/${job.id}`, { token: admin.token })).status).toBe(200);
      expect(await postOk(job.id, admin.token, 'job_started')).toBe(1);
      expect((await api.post(`/api/v1/jobs/${job.id}/token`, { token: admin.token })).status).toBe(201);
    });

    it('should limit a worker token to its own job: its events and its channel only', async () => {
      const job = await createJob();
      const other = await createJob();
      const token = await workerToken(job.id);
      expect(await postOk(job.id, token, 'job_started')).toBe(1);
      const elsewhere = await post(other.id, token, 'job_started');
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.body.code).toBe('FORBIDDEN');
      for (const path of [
        `/api/v1/jobs/${job.id}`,
        `/api/v1/jobs/${job.id}/events`,
        '/api/v1/jobs',
        '/api/v1/auth/me',
      ]) {
        expect((await api.get(path, { token })).status).toBe(403);
      }
      expect((await api.post('/api/v1/jobs', { token, body: { name: 'x' } })).status).toBe(403);
      expect((await api.post(`/api/v1/jobs/${job.id}/token`, { token })).status).toBe(403);

      const socket = await connect(sut.url, token);
      const own = await emitAck(socket, 'subscribe:job', { jobId: job.id });
      expect(own.ok && own.data.snapshot).toMatchObject({ id: job.id, status: 'running' });
      expect(await emitAck(socket, 'subscribe:job', { jobId: other.id })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      const event = waitFor<JobEvent>(socket, 'event');
      await postOk(job.id, token, 'item_scraped', { item: { via: 'worker' } });
      expect(await event).toMatchObject({ seq: 2, type: 'item_scraped' });
    });

    it('should stop a worker token once its job ends, and mint none for an ended job', async () => {
      const job = await createJob();
      const token = await workerToken(job.id);
      const spare = await workerToken(job.id);
      await postOk(job.id, token, 'job_started');
      await postOk(job.id, token, 'job_completed');
      for (const t of [token, spare]) {
        const res = await post(job.id, t, 'item_scraped', { item: {} });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
      expect(await connectError(sut.url, token)).toBe('Authentication failed');
      const again = await api.post(`/api/v1/jobs/${job.id}/token`, { token: owner.token });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('INVALID_TRANSITION');
      // The owner still reads it.
      expect((await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token })).body.status).toBe('completed');
    });
  });
  describe('the example worker', () => {
    it('should run examples/scraper-worker.mjs to a completed job', async () => {
      const watcher = await connect(sut.url, owner.token);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(process.cwd(), 'examples/scraper-worker.mjs')],
        {
          env: { PATH: process.env.PATH, BASE_URL: sut.url, USER_TOKEN: owner.token, PAGES: '2', ITEMS_PER_PAGE: '15' },
          timeout: 30_000,
        },
      );
      const jobId = /created job ([0-9a-f-]{36})/.exec(stdout)?.[1];
      expect(jobId).toBeDefined();
      const job = await api.get(`/api/v1/jobs/${jobId}`, { token: owner.token });
      expect(job.body).toMatchObject({
        status: 'completed',
        progress: { itemsScraped: 30, pagesScraped: 2, currentPage: 2, totalPages: 2 },
      });
      const events = await history(jobId!);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
      expect(events.filter((e) => e.type === 'item_scraped')).toHaveLength(30);
      expect(events.at(-1)?.data).toMatchObject({ summary: { items: 30, pages: 2 } });
      // The owner's SDK client watched every event live, in order.
      expect(stdout).toContain('watcher: 34 events, in order, none missing');
      // The owner's socket may watch it too.
      expect((await emitAck(watcher, 'subscribe:job', { jobId })).ok).toBe(true);
    });
  });
});

describeE2E('Jobs stall', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;
  let owner: TestUser;

  beforeAll(async () => {
    sut = await startApp({ JOB_STALL_SECONDS: '1', JOB_MAX_EVENTS: '3' });
    api = client(sut.url);
    owner = await registerUser(sut, 'Stall Owner');
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should fail a running job without events for JOB_STALL_SECONDS with error "stalled", once', async () => {
    const job = (await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'Idle' } })).body;
    const pending = (await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'Never started' } })).body;
    const token = (await api.post(`/api/v1/jobs/${job.id}/token`, { token: owner.token })).body.token;
    const watcher = await connect(sut.url, owner.token);
    const seen = collect<JobEvent>(watcher, 'event');
    await emitAck(watcher, 'subscribe:job', { jobId: job.id });
    const failed = waitFor<JobEvent>(watcher, 'event', (e) => e.type === 'job_failed', 15_000);
    expect((await api.post(`/api/v1/jobs/${job.id}/events`, { token, body: { type: 'job_started' } })).status).toBe(
      201,
    );

    expect(await failed).toEqual({
      type: 'job_failed',
      jobId: job.id,
      seq: 2,
      timestamp: expect.any(String),
      data: { error: 'stalled' },
    });
    const read = await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token });
    expect(read.body).toMatchObject({ status: 'failed', error: 'stalled', finishedAt: expect.any(String) });
    const stored = await api.get(`/api/v1/jobs/${job.id}/events`, { token: owner.token });
    expect(stored.body.items.map((e: JobEvent) => [e.seq, e.type])).toEqual([
      [1, 'job_started'],
      [2, 'job_failed'],
    ]);
    const late = await api.post(`/api/v1/jobs/${job.id}/events`, {
      token,
      body: { type: 'item_scraped', data: { item: {} } },
    });
    expect(late.status).toBe(401);
    // A pending job never stalls.
    expect((await api.get(`/api/v1/jobs/${pending.id}`, { token: owner.token })).body.status).toBe('pending');
    expect(seen.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('should keep the last of JOB_MAX_EVENTS places for the stall sweep to fail a full job', async () => {
    const job = (await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'Full then idle' } })).body;
    const report = (type: string, data: Record<string, unknown> = {}) =>
      api.post(`/api/v1/jobs/${job.id}/events`, { token: owner.token, body: { type, data } });
    expect((await report('job_started')).status).toBe(201);
    expect((await report('item_scraped', { item: { n: 1 } })).status).toBe(201);
    // Two of the three places taken: the third is the end's.
    const third = await report('item_scraped', { item: { n: 2 } });
    expect([third.status, third.body.code]).toEqual([409, 'LIMIT_EXCEEDED']);
    // The worker says nothing more: the sweep fails the job in the last place (it wrote a fourth event).
    await eventually(async () => {
      expect((await api.get(`/api/v1/jobs/${job.id}`, { token: owner.token })).body.status).toBe('failed');
    }, 10_000);
    const events = (await api.get(`/api/v1/jobs/${job.id}/events`, { token: owner.token })).body.items as JobEvent[];
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'job_started'],
      [2, 'item_scraped'],
      [3, 'job_failed'],
    ]);
  });
});
