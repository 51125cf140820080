// The write path of job events. Concurrent events of one job are group-committed: one transaction per batch locks
// the job row, numbers the events from its `last_seq`, inserts them in one statement and updates the job once;
// after the commit each event is published on `job:{id}` in seq order and each request gets its seq.
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { channels } from '@realtime-hub/protocol';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { principalRoom } from '../realtime/principal-rooms.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { JobEventDto } from './dto/job.dto.js';
import { GroupCommitQueue, type Outcome } from '../database/group-commit.js';
import { applyJobEvent, isActive, type JobEventInput, type JobEventType, type JobStatus } from './job-state.js';
import { toJobEventDto } from './job.mapper.js';
import { JobsRepository, type StoredEvent } from './jobs.repository.js';
import { WorkerAccessCache } from './worker-access.cache.js';

/** The channel of a job's events. */
export const jobChannel = (jobId: string): string => channels.job(jobId);

/** Events written in one transaction at most; a longer queue takes several. */
const MAX_BATCH = 500;
/** A batch's events' `data` as JSON, in characters at most (one event may exceed it alone). */
const MAX_BATCH_JSON_LENGTH = 4 * 1024 * 1024;
/** Stalled jobs failed per sweep statement at most. */
const MAX_STALLED_PER_SWEEP = 100;

interface QueuedEvent {
  event: JobEventInput;
  /** `event.data` as JSON. */
  json: string;
}

interface BatchResult {
  outcomes: Outcome<number>[];
  stored: StoredEvent[];
  at: Date;
  ended: boolean;
}

function invalidTransition(status: JobStatus, type: JobEventType): DomainException {
  return new DomainException(ErrorCode.INVALID_TRANSITION, `A ${status} job does not accept ${type}`, {
    status,
    type,
  });
}

@Injectable()
export class JobEventsService implements OnModuleDestroy {
  private readonly logger = new Logger('JobEventsService');
  private readonly maxEvents: number;
  private readonly queue = new GroupCommitQueue<QueuedEvent, number>(
    (jobId, events) => this.writeBatch(jobId, events),
    { maxBatch: MAX_BATCH, limit: { maxWeight: MAX_BATCH_JSON_LENGTH, weigh: (e) => e.json.length } },
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repository: JobsRepository,
    private readonly publisher: RealtimePublisher,
    private readonly workerAccess: WorkerAccessCache,
    config: AppConfig,
  ) {
    this.maxEvents = config.limits.jobEvents;
  }

  /**
   * Stores an event (access and `data` already checked) and answers its seq once committed. INVALID_TRANSITION
   * when the job's status at its turn does not accept it; NOT_FOUND when the job is gone.
   */
  append(jobId: string, event: JobEventInput): Promise<number> {
    // Serialized once here; the batch's insert parameter is assembled from these strings.
    return this.queue.submit(jobId, { event, json: JSON.stringify(event.data) });
  }

  /** Events after `afterSeq`, oldest first; `limit + 1` are read so the caller can tell whether more follow. */
  async history(jobId: string, afterSeq: number, limit: number): Promise<JobEventDto[]> {
    return (await this.repository.history(this.dataSource.manager, jobId, afterSeq, limit)).map((event) =>
      toJobEventDto(jobId, event),
    );
  }

  /**
   * Fails running jobs idle for `stallSeconds` with error `stalled`, and publishes their `job_failed` event. The
   * repository claims the rows in one statement, so with several instances sweeping, each stalled job fails once.
   * Answers how many failed.
   */
  async failStalled(stallSeconds: number): Promise<number> {
    const rows = await this.repository.failStalled(this.dataSource.manager, stallSeconds, MAX_STALLED_PER_SWEEP);
    for (const row of rows) {
      this.logger.log({ jobId: row.id, stallSeconds }, 'Job stalled');
      this.publishEvent(row.id, { seq: row.seq, type: 'job_failed', data: { error: 'stalled' } }, row.finished_at);
      await this.announceEnd(row.id);
    }
    return rows.length;
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue.flush();
  }

  private async writeBatch(jobId: string, events: QueuedEvent[]): Promise<Outcome<number>[]> {
    const result = await this.uow.run(async ({ manager, afterCommit }) => {
      const applied = await this.applyBatch(manager, jobId, events);
      if (applied) afterCommit(() => applied.stored.forEach((event) => this.publishEvent(jobId, event, applied.at)));
      return applied;
    });
    if (!result) return events.map(() => ({ ok: false, error: DomainException.notFound('Job') }));
    // Committed (and the events published): whatever happens now, each request gets its seq (a 500 would invite a
    // duplicate retry).
    if (result.ended) await this.announceEnd(jobId);
    if (events.length > 1) this.logger.debug({ jobId, size: events.length, stored: result.stored.length }, 'Batch');
    return result.outcomes;
  }

  private async applyBatch(manager: EntityManager, jobId: string, events: QueuedEvent[]): Promise<BatchResult | null> {
    const locked = await this.repository.lock(manager, jobId);
    if (!locked) return null;
    const at = locked.now;
    const before = locked.state;
    let state = before;
    let seq = locked.lastSeq;
    const outcomes: Outcome<number>[] = [];
    const stored: StoredEvent[] = [];
    const rowsJson: string[] = [];
    for (const { event, json } of events) {
      const next = applyJobEvent(state, event, at);
      if (!next) {
        outcomes.push({ ok: false, error: invalidTransition(state.status, event.type) });
        continue;
      }
      // Counted under the job's row lock with the seq itself: a burst cannot pass JOB_MAX_EVENTS. The last place is
      // kept for the event that ends the job (its worker's, or the stall sweep's, which is not counted here).
      if (seq >= (isActive(next.status) ? this.maxEvents - 1 : this.maxEvents)) {
        outcomes.push({
          ok: false,
          error: DomainException.limitExceeded(`A job has at most ${this.maxEvents} events (JOB_MAX_EVENTS)`, {
            limit: this.maxEvents,
          }),
        });
        continue;
      }
      state = next;
      seq += 1;
      stored.push({ seq, type: event.type, data: event.data });
      rowsJson.push(`{"seq":${seq},"type":"${event.type}","data":${json}}`);
      outcomes.push({ ok: true, value: seq });
    }
    if (stored.length > 0) await this.repository.saveBatch(manager, jobId, `[${rowsJson.join(',')}]`, state, seq, at);
    return { outcomes, stored, at, ended: isActive(before.status) && !isActive(state.status) };
  }

  /**
   * Worker tokens of an ended job stop working on every instance (without the bus, the cache's age limit does it),
   * and the worker's sockets are disconnected everywhere, after the final event was sent.
   */
  private async announceEnd(jobId: string): Promise<void> {
    try {
      await this.workerAccess.invalidate(jobId);
    } catch (err) {
      this.logger.warn({ err, jobId }, 'Could not announce the end of a job to the other instances');
    }
    this.publisher.disconnectRoom(principalRoom('worker', jobId));
  }

  private publishEvent(jobId: string, event: StoredEvent, at: Date): void {
    this.publisher.publish(jobChannel(jobId), 'event', toJobEventDto(jobId, { ...event, createdAt: at }), {
      order: { key: jobChannel(jobId), seq: event.seq },
    });
  }
}
