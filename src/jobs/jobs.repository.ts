// The SQL of jobs and their events, one aggregate: a job's row is the lock and the seq counter of its events, so
// the writes of events update the job in the same transaction. Creating and reading jobs, the history, the stall
// sweep's claim, and the batch write under the job's row lock. Every method takes the EntityManager to run on:
// inside a transaction, that transaction's manager (embedded PGlite has one backend; any other connection would
// wait forever).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { JobEventType, JobState, JobStatus } from './job-state.js';
import { Job } from './job.entity.js';

export interface StoredEvent {
  seq: number;
  type: JobEventType;
  data: Record<string, unknown>;
}

export interface LockedJob {
  state: JobState;
  lastSeq: number;
  /** The database's clock in this transaction: the time of the batch's events. */
  now: Date;
}

export interface JobPageSpec {
  /** Only this user's jobs; undefined: every job (admins). */
  ownerId?: string;
  status?: JobStatus;
  /** The last row of the previous page: its `created_at` as Postgres prints it (full precision) and its id. */
  after?: readonly [createdAt: string, id: string];
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

/** A job with its `created_at` as text, at the full (microsecond) precision a JS Date would lose. */
export interface JobWithCursor {
  job: Job;
  cursorCreatedAt: string;
}

interface LockedJobRow {
  status: JobStatus;
  items_scraped: number;
  pages_scraped: number;
  current_page: number;
  total_pages: number | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  last_seq: number;
  now: Date;
}

@Injectable()
export class JobsRepository {
  /** Inserts a pending job and answers it as stored. */
  async insert(
    manager: EntityManager,
    fields: { ownerId: string; name: string; totalPages: number | null },
  ): Promise<Job> {
    const jobs = manager.getRepository(Job);
    const job = await jobs.save(jobs.create(fields));
    return jobs.findOneOrFail({ where: { id: job.id } });
  }

  async find(manager: EntityManager, id: string): Promise<Job | null> {
    return manager.findOne(Job, { where: { id } });
  }

  /** What decides whether the job's worker token may act; null when the job is gone. */
  async workerAccess(manager: EntityManager, id: string): Promise<Pick<Job, 'id' | 'status' | 'tokenVersion'> | null> {
    return manager.findOne(Job, { where: { id }, select: { id: true, status: true, tokenVersion: true } });
  }

  /** Newest first, then by id. */
  async page(manager: EntityManager, spec: JobPageSpec): Promise<JobWithCursor[]> {
    const qb = manager
      .createQueryBuilder(Job, 'j')
      .addSelect('j.created_at::text', 'cursor_created_at')
      .orderBy('j.created_at', 'DESC')
      .addOrderBy('j.id', 'DESC')
      .limit(spec.take);
    if (spec.ownerId !== undefined) qb.andWhere('j.owner_id = :ownerId', { ownerId: spec.ownerId });
    if (spec.status) qb.andWhere('j.status = :status', { status: spec.status });
    if (spec.after) {
      const [createdAt, id] = spec.after;
      qb.andWhere('(j.created_at, j.id) < (:createdAt::timestamptz, :id::uuid)', { createdAt, id });
    }
    const { entities, raw } = await qb.getRawAndEntities<{ cursor_created_at: string }>();
    return entities.map((job, i) => ({ job, cursorCreatedAt: raw[i].cursor_created_at }));
  }

  /** Events after `afterSeq`, oldest first, `limit` at most. */
  async history(
    manager: EntityManager,
    jobId: string,
    afterSeq: number,
    limit: number,
  ): Promise<Array<StoredEvent & { createdAt: Date }>> {
    const rows: { seq: number; type: JobEventType; data: Record<string, unknown>; created_at: Date }[] =
      await manager.query(
        `SELECT seq, type, data, created_at FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [jobId, afterSeq, limit],
      );
    return rows.map((r) => ({ seq: r.seq, type: r.type, data: r.data, createdAt: r.created_at }));
  }

  /**
   * Fails up to `max` running jobs idle for `stallSeconds` with error `stalled` and stores their `job_failed` event,
   * in one statement (SKIP LOCKED: a job being written to is not idle), so each stalled job fails once.
   */
  failStalled(
    manager: EntityManager,
    stallSeconds: number,
    max: number,
  ): Promise<{ id: string; seq: number; finished_at: Date }[]> {
    return manager.query(
      `WITH stalled AS (
         UPDATE jobs SET status = 'failed', error = 'stalled', finished_at = now(), last_event_at = now(),
                         last_seq = last_seq + 1
         WHERE id IN (
           SELECT id FROM jobs
           WHERE status = 'running' AND last_event_at < now() - make_interval(secs => $1)
           ORDER BY last_event_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
         RETURNING id, last_seq, finished_at
       ), events AS (
         INSERT INTO job_events (job_id, seq, type, data, created_at)
         SELECT id, last_seq, 'job_failed', '{"error":"stalled"}'::jsonb, finished_at FROM stalled
       )
       SELECT id, last_seq AS seq, finished_at FROM stalled`,
      [stallSeconds, max],
    );
  }

  /** The job's state under its row lock, for the rest of the transaction; null when the job is gone. */
  async lock(manager: EntityManager, jobId: string): Promise<LockedJob | null> {
    const rows: LockedJobRow[] = await manager.query(
      `SELECT status, items_scraped, pages_scraped, current_page, total_pages, error, started_at, finished_at,
              last_seq, now() AS now
       FROM jobs WHERE id = $1 FOR UPDATE`,
      [jobId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    return {
      state: {
        status: row.status,
        itemsScraped: row.items_scraped,
        pagesScraped: row.pages_scraped,
        currentPage: row.current_page,
        totalPages: row.total_pages,
        error: row.error,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
      },
      lastSeq: row.last_seq,
      now: row.now,
    };
  }

  /**
   * Inserts a batch's events in one statement (`eventsJson`: a JSON array of `{seq, type, data}`, assembled from
   * already serialised data) and writes the job's state and last seq once.
   */
  async saveBatch(
    manager: EntityManager,
    jobId: string,
    eventsJson: string,
    state: JobState,
    lastSeq: number,
    at: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO job_events (job_id, seq, type, data, created_at)
       SELECT $1, (e->>'seq')::int, e->>'type', e->'data', $3 FROM jsonb_array_elements($2::jsonb) AS e`,
      [jobId, eventsJson, at],
    );
    await manager.query(
      `UPDATE jobs SET status = $2, items_scraped = $3, pages_scraped = $4, current_page = $5, total_pages = $6,
                       error = $7, started_at = $8, finished_at = $9, last_seq = $10, last_event_at = $11
       WHERE id = $1`,
      [
        jobId,
        state.status,
        state.itemsScraped,
        state.pagesScraped,
        state.currentPage,
        state.totalPages,
        state.error,
        state.startedAt,
        state.finishedAt,
        lastSeq,
        at,
      ],
    );
  }
}
