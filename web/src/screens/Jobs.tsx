// Jobs: a list with live progress bars (each job's channel: its snapshot, then its events) and a job's live event
// log (the SDK's gapless jobEvents stream).
import { channels, type JobEventPayload, type JobPayload, type RealtimeClient } from '@realtime-hub/client';
import { useChannel, useStreamItems } from '@realtime-hub/client/react';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api } from '../api';
import { createFromForm, useListPage } from '../list';
import { useSignedIn } from '../session';
import { timeOf } from '../i18n';
import { ListState, MoreButton } from '../components/ListState';
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

/** One job, live: the snapshot of its channel, then each event applied. */
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
  return (
    <progress
      aria-label={t('jobs.progressOf', { name: job.name })}
      max={total > 0 ? total : 1}
      value={done ? (total > 0 ? total : 1) : total > 0 ? Math.min(job.progress.pagesScraped, total) : undefined}
    />
  );
}

function JobFacts({ job }: { job: JobPayload }) {
  const { t } = useTranslation();
  return (
    <p>
      {t(`jobs.status.${job.status}`)} ·{' '}
      {t('jobs.pages', { done: job.progress.pagesScraped, total: job.progress.totalPages ?? '?' })} ·{' '}
      {t('jobs.items', { count: job.progress.itemsScraped })}
      {job.error && <> · {job.error}</>}
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
  const create = createFromForm(listPage, '/api/v1/jobs', (form) => {
    const totalPages = Number(form.get('totalPages'));
    return { name: String(form.get('name')), ...(totalPages > 0 ? { totalPages } : {}) };
  });

  return (
    <div className="page">
      <h1>{t('jobs.title')}</h1>
      <form className="inline-form" onSubmit={(event) => void create(event)}>
        <label>
          {t('jobs.name')}
          <input name="name" required maxLength={200} />
        </label>
        <label>
          {t('jobs.totalPages')}
          <input name="totalPages" type="number" min={1} />
        </label>
        <button type="submit">{t('jobs.create')}</button>
      </form>
      <ErrorLine text={error} />
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
      <ErrorLine text={error} />
    </section>
  );
}

export function JobDetail() {
  const { jobId = '' } = useParams();
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const { job, refused } = useLiveJob(client, undefined, jobId);
  const stream = useMemo(() => client.jobEvents(jobId), [client, jobId]);
  const events = useStreamItems(stream, 1000);
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
      <div className="event-log" role="log" aria-label={t('jobs.log')}>
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
