// The SQL of job events: the history, the stall sweep's claim, and the batch write under the job's row lock.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { JobEventType, JobState, JobStatus } from './job-state.js';

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
export class JobEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Events after `afterSeq`, oldest first, `limit` at most. */
  async history(jobId: string, afterSeq: number, limit: number): Promise<Array<StoredEvent & { createdAt: Date }>> {
    const rows: { seq: number; type: JobEventType; data: Record<string, unknown>; created_at: Date }[] =
      await this.dataSource.query(
        `SELECT seq, type, data, created_at FROM job_events WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [jobId, afterSeq, limit],
      );
    return rows.map((r) => ({ seq: r.seq, type: r.type, data: r.data, createdAt: r.created_at }));
  }

  /**
   * Fails up to `max` running jobs idle for `stallSeconds` with error `stalled` and stores their `job_failed` event,
   * in one statement (SKIP LOCKED: a job being written to is not idle), so each stalled job fails once.
   */
  failStalled(stallSeconds: number, max: number): Promise<{ id: string; seq: number; finished_at: Date }[]> {
    return this.dataSource.query(
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
