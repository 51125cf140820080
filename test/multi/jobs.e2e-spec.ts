import { JobsScheduler } from '../../src/jobs/jobs.scheduler.js';
import { type TestApp } from '../helpers/app.js';
import { useTwoInstances } from '../helpers/cluster.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeMultiInstance } from '../helpers/mode.js';
import { passesBegunNow } from '../helpers/scheduler-passes.js';
import { collect, connect, emitAck, eventually, sleep, waitFor } from '../helpers/sockets.js';

const STALL_SECONDS = 1;

interface JobEvent {
  type: string;
  jobId: string;
  seq: number;
  timestamp: string;
  data: Record<string, unknown>;
}

async function createJobWithToken(app: TestApp, owner: TestUser): Promise<{ id: string; token: string }> {
  const api = client(app.url);
  const job = (await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'Across' } })).body;
  const { token } = (await api.post(`/api/v1/jobs/${job.id}/token`, { token: owner.token })).body;
  return { id: job.id, token };
}

describeMultiInstance('Jobs across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let owner: TestUser;

  useTwoInstances(async (x, y) => {
    [a, b] = [x, y];
    owner = await registerUser(a, 'Job Owner');
  });

  const startJob = () => createJobWithToken(a, owner);

  it('should deliver events posted on A to a subscriber on B, in seq order', async () => {
    const job = await startJob();
    const watcher = await connect(b.url, owner.token);
    const seen = collect<JobEvent>(watcher, 'event');
    expect((await emitAck(watcher, 'subscribe:job', { jobId: job.id })).ok).toBe(true);
    const onA = client(a.url);
    const post = (type: string, data?: Record<string, unknown>) =>
      onA.post(`/api/v1/jobs/${job.id}/events`, { token: job.token, body: { type, data } });

    expect((await post('job_started', { totalPages: 1 })).body.seq).toBe(1);
    const items = await Promise.all(Array.from({ length: 200 }, (_, i) => post('item_scraped', { item: { i } })));
    expect(items.every((r) => r.status === 201)).toBe(true);
    expect((await post('job_progress', { pagesScraped: 1, currentPage: 1 })).body.seq).toBe(202);
    expect((await post('job_completed')).body.seq).toBe(203);

    await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(203), 20_000);
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 203 }, (_, i) => i + 1));
    expect(seen.at(-1)).toMatchObject({ type: 'job_completed', jobId: job.id });
    const read = await client(b.url).get(`/api/v1/jobs/${job.id}`, { token: owner.token });
    expect(read.body).toMatchObject({ status: 'completed', progress: { itemsScraped: 200, pagesScraped: 1 } });
  });

  it('should number events posted to both instances at once without a gap', async () => {
    const job = await startJob();
    const url = (i: number) => (i % 2 === 0 ? a.url : b.url);
    await client(a.url).post(`/api/v1/jobs/${job.id}/events`, { token: job.token, body: { type: 'job_started' } });
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client(url(i)).post(`/api/v1/jobs/${job.id}/events`, {
          token: job.token,
          body: { type: 'item_scraped', data: { item: { i } } },
        }),
      ),
    );
    expect(responses.map((r) => r.body.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 2),
    );
    const page = await client(b.url).get(`/api/v1/jobs/${job.id}/events?limit=100&afterSeq=101`, {
      token: owner.token,
    });
    expect(page.body.items.map((e: JobEvent) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 102));
  });

  it('should stop a worker token on B once its job ended on A', async () => {
    const job = await startJob();
    const onB = client(b.url);
    const path = `/api/v1/jobs/${job.id}/events`;
    // B has seen (and cached) the token as valid.
    expect((await onB.post(path, { token: job.token, body: { type: 'job_started' } })).status).toBe(201);
    expect((await client(a.url).post(path, { token: job.token, body: { type: 'job_completed' } })).status).toBe(201);
    const refused = await onB.post(path, { token: job.token, body: { type: 'item_scraped', data: { item: {} } } });
    expect([401, 409]).toContain(refused.status);
    // Once the end has crossed the bus, B refuses the token itself.
    let status = refused.status;
    for (let i = 0; i < 100 && status !== 401; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await onB.post(path, { token: job.token, body: { type: 'job_failed', data: { error: 'x' } } })).status;
    }
    expect(status).toBe(401);
  });
});

describeMultiInstance('Job stalls across instances', () => {
  let a: TestApp;
  let b: TestApp;
  let owner: TestUser;

  useTwoInstances(
    async (x, y) => {
      [a, b] = [x, y];
      owner = await registerUser(a, 'Stall Owner');
    },
    { JOB_STALL_SECONDS: String(STALL_SECONDS) },
  );

  const startJob = () => createJobWithToken(a, owner);

  it('should fail a stalled job once, whichever instance sweeps it, and tell subscribers on both', async () => {
    const job = await startJob();
    const [onA, onB] = [await connect(a.url, owner.token), await connect(b.url, owner.token)];
    const seenA = collect<JobEvent>(onA, 'event');
    const seenB = collect<JobEvent>(onB, 'event');
    await emitAck(onA, 'subscribe:job', { jobId: job.id });
    await emitAck(onB, 'subscribe:job', { jobId: job.id });
    const failedOnB = waitFor<JobEvent>(onB, 'event', (e) => e.type === 'job_failed', 15_000);
    await client(a.url).post(`/api/v1/jobs/${job.id}/events`, { token: job.token, body: { type: 'job_started' } });
    const failed = await failedOnB;
    expect(failed).toMatchObject({ seq: 2, data: { error: 'stalled' } });
    await eventually(() => expect(seenA.length).toBeGreaterThanOrEqual(2), 20_000);
    // Once the failed job has been idle for the stall time again, both instances sweep once more (any sweep in
    // flight finishes first): a second failure, by a sweep that claimed it twice or took it again, is stored and
    // published by then.
    await sleep(Date.parse(failed.timestamp) + STALL_SECONDS * 1000 + 100 - Date.now());
    await passesBegunNow([a, b], JobsScheduler);
    // Barrier: events of another job, posted on each instance after the sweeps, reach both sockets after anything
    // either instance published before.
    const barrier = await startJob();
    await emitAck(onA, 'subscribe:job', { jobId: barrier.id });
    await emitAck(onB, 'subscribe:job', { jobId: barrier.id });
    const later = Promise.all(
      [onA, onB].flatMap((socket) =>
        [1, 2].map((seq) => waitFor<JobEvent>(socket, 'event', (e) => e.jobId === barrier.id && e.seq === seq)),
      ),
    );
    const barrierEvents = [
      { app: a, body: { type: 'job_started' } },
      { app: b, body: { type: 'item_scraped', data: { item: {} } } },
    ];
    for (const { app, body } of barrierEvents) {
      const posted = await client(app.url).post(`/api/v1/jobs/${barrier.id}/events`, { token: barrier.token, body });
      expect(posted.status).toBe(201);
    }
    await later;
    const stored = await client(b.url).get(`/api/v1/jobs/${job.id}/events`, { token: owner.token });
    expect(stored.body.items.map((e: JobEvent) => e.type)).toEqual(['job_started', 'job_failed']);
    expect(seenA.filter((e) => e.jobId === job.id).map((e) => e.seq)).toEqual([1, 2]);
    expect(seenB.filter((e) => e.jobId === job.id).map((e) => e.seq)).toEqual([1, 2]);
  });
});
