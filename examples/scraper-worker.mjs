#!/usr/bin/env node
// A scraper that reports its progress to realtime-hub with the client SDK (@realtime-hub/client): the worker posts
// its events with the SDK's typed REST client and a worker token; with USER_TOKEN, the owner's client creates the job
// and watches its events live (gapless, in seq order) while the worker runs. Plain Node 20, ESM; the workspace
// packages are compiled by `npm install` (or `npm run build`).
//
//   # as a user: create a job, mint its worker token, then report while watching
//   BASE_URL=http://localhost:3000 USER_TOKEN=<access token> node examples/scraper-worker.mjs
//
//   # as a worker given a job id and its worker token (POST /api/v1/jobs/:id/token)
//   BASE_URL=http://localhost:3000 JOB_ID=<uuid> WORKER_TOKEN=<token> node examples/scraper-worker.mjs
//
// Optional: PAGES (default 3), ITEMS_PER_PAGE (default 10), CONCURRENCY (item posts in flight, default 8),
// JOB_NAME, FAIL_AT_PAGE (simulate a failure on that page).
import { createClient, RestError } from '@realtime-hub/client';

const env = process.env;
const BASE_URL = (env.BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const PAGES = intFromEnv('PAGES', 3);
const ITEMS_PER_PAGE = intFromEnv('ITEMS_PER_PAGE', 10);
const CONCURRENCY = Math.max(1, intFromEnv('CONCURRENCY', 8));
const FAIL_AT_PAGE = env.FAIL_AT_PAGE ? intFromEnv('FAIL_AT_PAGE', 0) : undefined;

function intFromEnv(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

/** The data of a REST answer, or a RestError with the contract's code. */
function ok({ data, error, response }) {
  if (response.ok) return data;
  throw new RestError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
}

/** Posts one event; resolves with its seq once the server stored it. */
async function report(worker, jobId, type, data) {
  const body = data === undefined ? { type } : { type, data };
  const { seq } = ok(await worker.rest.POST('/api/v1/jobs/{id}/events', { params: { path: { id: jobId } }, body }));
  return seq;
}

/** Runs `task` over `inputs` with at most `limit` in flight; rejects on the first failure. */
async function pool(inputs, limit, task) {
  const results = new Array(inputs.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, inputs.length) }, async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await task(inputs[i], i);
    }
  });
  await Promise.all(runners);
  return results;
}

/** Stands in for fetching and parsing one page. */
async function scrapePage(page) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (page === FAIL_AT_PAGE) throw new Error(`page ${page} answered 503`);
  return Array.from({ length: ITEMS_PER_PAGE }, (_, i) => ({
    url: `https://example.com/catalogue/${page}/${i + 1}`,
    title: `Item ${page}.${i + 1}`,
    price: Math.round(Math.random() * 10_000) / 100,
  }));
}

/** The job to report for, and (with USER_TOKEN) the owner's client watching it. */
async function obtainJob() {
  if (env.JOB_ID && env.WORKER_TOKEN) return { jobId: env.JOB_ID, workerToken: env.WORKER_TOKEN };
  if (!env.USER_TOKEN) throw new Error('Set USER_TOKEN, or JOB_ID and WORKER_TOKEN');
  const owner = createClient({ url: BASE_URL, getToken: () => env.USER_TOKEN, transports: ['websocket'] });
  const name = env.JOB_NAME ?? `example scrape ${new Date().toISOString()}`;
  const job = ok(await owner.rest.POST('/api/v1/jobs', { body: { name, totalPages: PAGES } }));
  const { token } = ok(await owner.rest.POST('/api/v1/jobs/{id}/token', { params: { path: { id: job.id } } }));
  console.log(`created job ${job.id}`);
  return { jobId: job.id, workerToken: token, owner };
}

/** The owner's view: every event of the job, once, in seq order, over the socket (REST fills any gap). */
function watch(owner, jobId) {
  const seen = [];
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));
  const subscription = owner.jobEvents(jobId).subscribe((event) => {
    seen.push(event.seq);
    if (event.type === 'job_progress')
      console.log(`  watcher: seq ${event.seq} job_progress page ${event.data.currentPage}`);
    if (event.type === 'job_completed' || event.type === 'job_failed') resolveDone();
  });
  return {
    async finish() {
      let timer;
      const ended = await Promise.race([
        done.then(() => true),
        new Promise((resolve) => (timer = setTimeout(() => resolve(false), 10_000))),
      ]);
      clearTimeout(timer);
      subscription.unsubscribe();
      // Every seq from 1 on, up to the event that ended the job: none missing.
      const inOrder = seen.every((seq, i) => seq === i + 1);
      const verdict = !inOrder ? 'OUT OF ORDER' : ended ? 'in order, none missing' : 'in order, but the end never came';
      console.log(`watcher: ${seen.length} events, ${verdict}`);
      owner.close();
      return inOrder && ended;
    },
  };
}

async function main() {
  const { jobId, workerToken, owner } = await obtainJob();
  const watcher = owner ? watch(owner, jobId) : undefined;
  const worker = createClient({ url: BASE_URL, getToken: () => workerToken, transports: ['websocket'] });
  const started = Date.now();
  let items = 0;
  try {
    let lastSeq = await report(worker, jobId, 'job_started', { totalPages: PAGES });
    console.log(`seq ${lastSeq}: job_started`);
    try {
      for (let page = 1; page <= PAGES; page += 1) {
        const scraped = await scrapePage(page);
        // Items are independent, so they may be posted concurrently; each answer carries the seq it was stored under.
        const seqs = await pool(scraped, CONCURRENCY, (item) => report(worker, jobId, 'item_scraped', { item }));
        items += scraped.length;
        // Progress is posted after its page's items were stored, so it follows them in seq order.
        lastSeq = await report(worker, jobId, 'job_progress', {
          pagesScraped: page,
          currentPage: page,
          itemsScraped: items,
        });
        console.log(
          `page ${page}/${PAGES}: ${scraped.length} items (seqs ${Math.min(...seqs)}..${Math.max(...seqs)}), progress seq ${lastSeq}`,
        );
      }
    } catch (err) {
      // Tell the watchers why; the worker token stops working once the job has failed.
      const seq = await report(worker, jobId, 'job_failed', { error: String(err.message ?? err).slice(0, 2000) });
      console.error(`seq ${seq}: job_failed (${err.message})`);
      process.exitCode = 1;
      return;
    }
    const seconds = (Date.now() - started) / 1000;
    lastSeq = await report(worker, jobId, 'job_completed', { summary: { items, pages: PAGES, seconds } });
    console.log(`seq ${lastSeq}: job_completed (${items} items in ${seconds.toFixed(2)} s)`);
  } finally {
    worker.close();
    if (watcher && !(await watcher.finish())) process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err instanceof RestError ? `request failed: ${err.status} ${err.code} ${err.message}` : err);
  process.exitCode = 1;
});
