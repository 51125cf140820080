// Jobs: creating and reading them, worker tokens, access to a job's events and channel. Writes of events go
// through JobEventsService.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CHANNEL_PATTERNS } from '@realtime-hub/protocol';
import { isAccount, isOwnerOrAdmin, type Principal } from '../auth/principal.js';
import { TokenService } from '../auth/token.service.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, pageLimit, toPage } from '../common/pagination.js';
import { ChannelRegistry, StreamSnapshot } from '../realtime/channel-registry.js';
import type {
  CreateJobDto,
  CreateJobEventDto,
  JobDto,
  JobEventDto,
  JobEventsQueryDto,
  JobListQueryDto,
} from './dto/job.dto.js';
import { parseEventData } from './dto/job-event-data.dto.js';
import { jobChannel, JobEventsService } from './job-events.service.js';
import { isActive } from './job-state.js';
import type { Job } from './job.entity.js';
import { toJobDto } from './job.mapper.js';
import { JobsRepository } from './jobs.repository.js';

/** Worker tokens expire after this long at the latest; they stop working earlier, when the job ends. */
export const WORKER_TOKEN_TTL_SECONDS = 7 * 86400;

@Injectable()
export class JobsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: JobsRepository,
    private readonly events: JobEventsService,
    private readonly tokens: TokenService,
    private readonly channels: ChannelRegistry,
  ) {}

  onModuleInit(): void {
    this.channels.register({
      pattern: CHANNEL_PATTERNS.job,
      authorize: async (principal, { jobId }) => void (await this.followable(principal, jobId)),
      // Its progress counts the events up to its lastSeq: those are not sent to the new subscriber after it.
      snapshot: async (principal, { jobId }) => {
        const job = await this.followable(principal, jobId);
        return new StreamSnapshot(toJobDto(job), { key: jobChannel(jobId), seq: job.lastSeq });
      },
    });
  }

  async create(actor: Principal, dto: CreateJobDto): Promise<JobDto> {
    const job = await this.repository.insert(this.dataSource.manager, {
      ownerId: actor.id,
      name: dto.name,
      totalPages: dto.totalPages ?? null,
    });
    return toJobDto(job);
  }

  /** Own jobs (every job for an admin), newest first, optionally of one status. */
  async list(actor: Principal, query: JobListQueryDto): Promise<Page<JobDto>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
    const rows = await this.repository.page(this.dataSource.manager, {
      ownerId: actor.role === 'admin' ? undefined : actor.id,
      status: query.status,
      // The cursor keeps the timestamp's full (microsecond) precision, which a JS Date would lose.
      after: cursor,
      take: limit + 1,
    });
    const now = new Date();
    return toPage(
      rows,
      limit,
      (r) => [r.cursorCreatedAt, r.job.id],
      (r) => toJobDto(r.job, now),
    );
  }

  async get(actor: Principal, jobId: string): Promise<JobDto> {
    return toJobDto(await this.readable(actor, jobId));
  }

  /** A worker token for the job; 409 INVALID_TRANSITION once the job has ended (the token could never work). */
  async issueWorkerToken(actor: Principal, jobId: string): Promise<{ token: string }> {
    const job = await this.readable(actor, jobId);
    if (!isActive(job.status)) {
      throw new DomainException(ErrorCode.INVALID_TRANSITION, `A ${job.status} job takes no worker`, {
        status: job.status,
      });
    }
    const { token } = await this.tokens.sign(
      { id: job.id, role: 'worker', tokenVersion: job.tokenVersion },
      WORKER_TOKEN_TTL_SECONDS,
    );
    return { token };
  }

  /** Owner, admin, or the job's own worker; answers the event's seq once it is stored. */
  async postEvent(actor: Principal, jobId: string, dto: CreateJobEventDto): Promise<{ seq: number }> {
    if (actor.role === 'worker') {
      // The guard already checked that this job exists and is active.
      if (actor.id !== jobId) throw DomainException.forbidden('A worker token posts only its own job');
    } else {
      await this.readable(actor, jobId);
    }
    const event = parseEventData(dto.type, dto.data);
    return { seq: await this.events.append(jobId, event) };
  }

  async history(actor: Principal, jobId: string, query: JobEventsQueryDto): Promise<Page<JobEventDto>> {
    await this.readable(actor, jobId);
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.seq]);
    let afterSeq = query.afterSeq ?? 0;
    if (cursor) afterSeq = cursor[0];
    const rows = await this.events.history(jobId, afterSeq, limit + 1);
    return toPage(
      rows,
      limit,
      (e) => [e.seq],
      (e) => e,
    );
  }

  /** The job when the actor owns it or is an admin: NOT_FOUND, else FORBIDDEN. */
  private async readable(actor: Principal, jobId: string): Promise<Job> {
    if (!isAccount(actor)) throw DomainException.forbidden();
    const job = await this.find(jobId);
    if (!isOwnerOrAdmin(actor, job.ownerId)) throw DomainException.forbidden();
    return job;
  }

  /** The job when the principal may follow its channel: its own worker, its owner or an admin. */
  private async followable(principal: Principal, jobId: string): Promise<Job> {
    if (principal.role !== 'worker') return this.readable(principal, jobId);
    if (principal.id !== jobId) throw DomainException.forbidden();
    return this.find(jobId);
  }

  private async find(jobId: string): Promise<Job> {
    const job = await this.repository.find(this.dataSource.manager, jobId);
    if (!job) throw DomainException.notFound('Job');
    return job;
  }
}
