// Jobs: a list with live progress bars (each job's channel: its snapshot, then its events) and a job's live event
// log (the SDK's gapless jobEvents stream, from near its end: its last 1,000 events).
import { channels, type JobEventPayload, type JobPayload, type RealtimeClient } from '@realtime-hub/client';
import { useChannel, useStreamItems } from '@realtime-hub/client/react';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, type Page } from '../api';
import { useCreateForm, useListPage } from '../list';
import { useSignedIn } from '../session';
import { timeOf } from '../i18n';
import { ListState, MoreButton } from '../components/ListState';
import { Announcer } from '../components/Announcer';
import { ErrorLine, useErrorLine } from '../components/ErrorLine';

/** A job after one of its events (the contract's table of effects). */
export function applyJobEvent(job: JobPayload, event: JobEventPayload): JobPayload {
  const data = event.data as Record<string, unknown>;
  const num = (key: string) => (typeof data[key] === 'number' ? (data[key] as number) : undefined);
  switch (event.type) {
    case 'job_started':
      return {
        ...job,
        status: 'running',
        startedAt: event.timestamp,
        progress: { ...job.progress, totalPages: num('totalPages') ?? job.progress.totalPages },
      };
    case 'job_progress':
      return {
        ...job,
        progress: {
          ...job.progress,
          itemsScraped: num('itemsScraped') ?? job.progress.itemsScraped,
          pagesScraped: num('pagesScraped') ?? job.progress.pagesScraped,
          currentPage: num('currentPage') ?? job.progress.currentPage,
          totalPages: num('totalPages') ?? job.progress.totalPages,
        },
      };
    case 'item_scraped':
      return { ...job, progress: { ...job.progress, itemsScraped: job.progress.itemsScraped + 1 } };
    case 'job_completed':
      return { ...job, status: 'completed', finishedAt: event.timestamp };
    case 'job_failed':
      return { ...job, status: 'failed', error: String(data.error ?? ''), finishedAt: event.timestamp };
  }
  return job;
}

/** The job, live; or the code its channel was refused with (`FORBIDDEN`, `NOT_FOUND`, `VALIDATION_FAILED`). */
function useLiveJob(
  client: RealtimeClient,
  initial: JobPayload | undefined,
  jobId: string,
): { job: JobPayload | undefined; refused: string | undefined } {
  const [job, setJob] = useState(initial);
  const [refused, setRefused] = useState<string>();
  useChannel(client, channels.job(jobId), {
    snapshot: (snapshot) => setJob(snapshot),
    event: (event) => setJob((current) => (current ? applyJobEvent(current, event) : current)),
    error: (error) => setRefused(error.code),
    unsubscribed: ({ reason }) => setRefused(reason ?? 'FORBIDDEN'),
  });
  return { job, refused };
}

function JobProgress({ job }: { job: JobPayload }) {
  const { t } = useTranslation();
  const total = job.progress.totalPages ?? 0;
  const done = job.status === 'completed';
  // Without a total, a job under way shows a bar without a value (moving: it is working); one that failed shows an
  // empty one (still, since nothing goes on).
  const unknown = job.status === 'failed' ? 0 : undefined;
  return (
    <progress
      aria-label={t('jobs.progressOf', { name: job.name })}
      max={total > 0 ? total : 1}
      value={done ? (total > 0 ? total : 1) : total > 0 ? Math.min(job.progress.pagesScraped, total) : unknown}
    />
  );
}

/**
 * The error the server fails a job with when its worker has been silent for `JOB_STALL_SECONDS`: its word, shown in the
 * reader's language (a worker's own error is shown as it wrote it).
 */
const STALLED = 'stalled';

function JobFacts({ job }: { job: JobPayload }) {
  const { t } = useTranslation();
  return (
    <p>
      {t(`jobs.status.${job.status}`)} ·{' '}
      {t('jobs.pages', { done: job.progress.pagesScraped, total: job.progress.totalPages ?? '?' })} ·{' '}
      {t('jobs.items', { count: job.progress.itemsScraped })}
      {job.error && <> · {job.error === STALLED ? t('jobs.stalled') : job.error}</>}
    </p>
  );
}

function JobRow({ client, job: initial }: { client: RealtimeClient; job: JobPayload }) {
  const job = useLiveJob(client, initial, initial.id).job ?? initial;
  return (
    <li className="card">
      <h2>
        <Link to={`/jobs/${job.id}`}>{job.name}</Link>
      </h2>
      <JobProgress job={job} />
      <JobFacts job={job} />
    </li>
  );
}

export function Jobs() {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const listPage = useListPage<JobPayload>(client, '/api/v1/jobs?limit=100');
  const { items, load, error } = listPage;
  const create = useCreateForm(listPage, '/api/v1/jobs', (form) => {
    const totalPages = Number(form.get('totalPages'));
    return { name: String(form.get('name')), ...(totalPages > 0 ? { totalPages } : {}) };
  });

  return (
    <div className="page">
      <h1>{t('jobs.title')}</h1>
      <form className="inline-form" onSubmit={create.onSubmit}>
        <label>
          {t('jobs.name')}
          <input name="name" required maxLength={200} />
        </label>
        <label>
          {t('jobs.totalPages')}
          <input name="totalPages" type="number" min={1} />
        </label>
        <button type="submit" aria-disabled={create.busy}>
          {t('jobs.create')}
        </button>
      </form>
      <ErrorLine error={error} id={create.errorId} />
      <Announcer id={create.created?.id} text={create.created && t('jobs.created', { name: create.created.name })} />
      <ul className="cards">
        {items.map((job) => (
          <JobRow key={job.id} client={client} job={job} />
        ))}
      </ul>
      <MoreButton more={listPage.more} />
      <ListState load={load} empty={items.length === 0} none={t('jobs.none')} />
    </div>
  );
}

/**
 * A worker token for a job that has not ended: what a scraper needs to report its events (it may post this job's events
 * and follow its channel, nothing else, until the job ends).
 */
function WorkerToken({ job }: { job: JobPayload }) {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const [token, setToken] = useState<string>();
  const { error, run } = useErrorLine();
  if (job.status === 'completed' || job.status === 'failed') return null;
  const issue = () =>
    run(async () => {
      setToken((await api<{ token: string }>(client, 'POST', `/api/v1/jobs/${job.id}/token`)).token);
    });
  return (
    <section aria-labelledby="worker-token">
      <h2 id="worker-token">{t('jobs.worker')}</h2>
      <p>{t('jobs.workerHint', { path: `/api/v1/jobs/${job.id}/events` })}</p>
      <button type="button" onClick={() => void issue()}>
        {t('jobs.issueToken')}
      </button>
      {token && (
        <label className="stack">
          {t('jobs.token')}
          <textarea readOnly rows={4} value={token} onFocus={(event) => event.currentTarget.select()} />
        </label>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

/** How many of its events a job's page shows: the last ones. */
const LOG_SIZE = 1000;

/**
 * Where a job's log starts (the seq its stream reads after): 0 for a job of fewer than LOG_SIZE events, else at most
 * LOG_SIZE / 2 before its last LOG_SIZE events, found by asking whether an event of a given seq exists (seqs grow by
 * one from 1): about 15 one-event reads for a job of 100,000 events, where the stream from its first would have read
 * 1,000 pages only to show the last of them.
 */
async function logStart(client: RealtimeClient, jobId: string): Promise<number> {
  const exists = async (seq: number) =>
    (await api<Page<JobEventPayload>>(client, 'GET', `/api/v1/jobs/${jobId}/events?afterSeq=${seq - 1}&limit=1`)).items
      .length > 0;
  if (!(await exists(LOG_SIZE))) return 0;
  // The last seq is at least `low` and below `high`.
  let low = LOG_SIZE;
  let high = 2 * LOG_SIZE;
  while (await exists(high)) [low, high] = [high, 2 * high];
  while (high - low > LOG_SIZE / 2) {
    const middle = Math.floor((low + high) / 2);
    if (await exists(middle)) low = middle;
    else high = middle;
  }
  return low - LOG_SIZE;
}

/** The job's event stream from `logStart` (from its first event should that read fail: the stream says why). */
function useJobLog(client: RealtimeClient, jobId: string): JobEventPayload[] {
  const [start, setStart] = useState<{ jobId: string; afterSeq: number }>();
  useEffect(() => {
    let current = true;
    const found = (afterSeq: number) => current && setStart({ jobId, afterSeq });
    logStart(client, jobId).then(found, () => found(0));
    return () => {
      current = false;
    };
  }, [client, jobId]);
  const afterSeq = start?.jobId === jobId ? start.afterSeq : undefined;
  const stream = useMemo(
    () => (afterSeq === undefined ? undefined : client.jobEvents(jobId, { afterSeq })),
    [client, jobId, afterSeq],
  );
  return useStreamItems(stream, LOG_SIZE);
}

export function JobDetail() {
  // Ids as the server names them (a link may give one in capitals, which the server takes too).
  const jobId = (useParams().jobId ?? '').toLowerCase();
  // One page per job: a link from one job to another (a notification's) starts the other's afresh; a worker token
  // issued on the first stayed on the screen under the second's name.
  return <JobPage key={jobId} jobId={jobId} />;
}

function JobPage({ jobId }: { jobId: string }) {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const { job, refused } = useLiveJob(client, undefined, jobId);
  const events = useJobLog(client, jobId);
  return (
    <div className="page">
      <p>
        <Link to="/jobs">← {t('jobs.title')}</Link>
      </p>
      {refused && !job ? (
        <p role="alert">{refused === 'FORBIDDEN' ? t('errors.FORBIDDEN') : t('errors.NOT_FOUND')}</p>
      ) : (
        <h1>{job?.name ?? t('loading')}</h1>
      )}
      {job && (
        <>
          <JobProgress job={job} />
          <JobFacts job={job} />
          <WorkerToken job={job} />
        </>
      )}
      <h2>{t('jobs.log')}</h2>
      {/* Focusable: past a few dozen events the log scrolls in its box, which a keyboard user could not reach. Not a
          live region (a log is one by default): a screen reader read out its 1,000 events as they loaded, and every
          event after; the progress bar says how far the job is. */}
      <div className="event-log" role="log" aria-label={t('jobs.log')} aria-live="off" tabIndex={0}>
        <ol>
          {events.map((event) => (
            <li key={event.seq}>
              <time dateTime={event.timestamp}>{timeOf(event.timestamp)}</time>{' '}
              <strong>{t(`jobs.types.${event.type}`, { defaultValue: event.type })}</strong>{' '}
              <code>{JSON.stringify(event.data)}</code>
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
