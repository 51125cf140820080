#!/usr/bin/env node
// A scraper that reports its progress to realtime-hub over REST with a worker token.
// Plain Node 20 (ESM, global fetch); no dependencies.
//
//   # as a user: create a job, mint its worker token, then report
//   BASE_URL=http://localhost:3000 USER_TOKEN=<access token> node examples/scraper-worker.mjs
//
//   # as a worker given a job id and its worker token (POST /api/v1/jobs/:id/token)
//   BASE_URL=http://localhost:3000 JOB_ID=<uuid> WORKER_TOKEN=<token> node examples/scraper-worker.mjs
//
// Optional: PAGES (default 3), ITEMS_PER_PAGE (default 10), CONCURRENCY (item posts in flight, default 8),
// JOB_NAME, FAIL_AT_PAGE (simulate a failure on that page).

const env = process.env;
const BASE_URL = (env.BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const API = `${BASE_URL}/api/v1`;
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

class ApiError extends Error {
  constructor(status, body) {
    super(`${status} ${body?.code ?? ''} ${body?.message ?? ''}`.trim());
    this.status = status;
    this.body = body;
  }
}

async function call(method, path, token, body) {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** Posts one event; resolves with its seq once the server stored it. */
async function report(jobId, workerToken, type, data) {
  const { seq } = await call(
    'POST',
    `/jobs/${jobId}/events`,
    workerToken,
    data === undefined ? { type } : { type, data },
  );
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

async function obtainJob() {
  if (env.JOB_ID && env.WORKER_TOKEN) return { jobId: env.JOB_ID, workerToken: env.WORKER_TOKEN };
  if (!env.USER_TOKEN) throw new Error('Set USER_TOKEN, or JOB_ID and WORKER_TOKEN');
  const job = await call('POST', '/jobs', env.USER_TOKEN, {
    name: env.JOB_NAME ?? `example scrape ${new Date().toISOString()}`,
    totalPages: PAGES,
  });
  const { token } = await call('POST', `/jobs/${job.id}/token`, env.USER_TOKEN);
  console.log(`created job ${job.id}`);
  return { jobId: job.id, workerToken: token };
}

async function main() {
  const { jobId, workerToken } = await obtainJob();
  const started = Date.now();
  let items = 0;
  let lastSeq = await report(jobId, workerToken, 'job_started', { totalPages: PAGES });
  console.log(`seq ${lastSeq}: job_started`);
  try {
    for (let page = 1; page <= PAGES; page += 1) {
      const scraped = await scrapePage(page);
      // Items are independent, so they may be posted concurrently; each answer carries the seq it was stored under.
      const seqs = await pool(scraped, CONCURRENCY, (item) => report(jobId, workerToken, 'item_scraped', { item }));
      items += scraped.length;
      // Progress is posted after its page's items were stored, so it follows them in seq order.
      lastSeq = await report(jobId, workerToken, 'job_progress', {
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
    const seq = await report(jobId, workerToken, 'job_failed', { error: String(err.message ?? err).slice(0, 2000) });
    console.error(`seq ${seq}: job_failed (${err.message})`);
    process.exitCode = 1;
    return;
  }
  const seconds = (Date.now() - started) / 1000;
  lastSeq = await report(jobId, workerToken, 'job_completed', { summary: { items, pages: PAGES, seconds } });
  console.log(`seq ${lastSeq}: job_completed (${items} items in ${seconds.toFixed(2)} s)`);
}

main().catch((err) => {
  console.error(err instanceof ApiError ? `request failed: ${err.message}` : err);
  process.exitCode = 1;
});
