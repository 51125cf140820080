// Whether a worker token (subject = a job) may act: the job exists, the token's version is the job's, and the job
// has not ended. Asked on every request and socket event of a worker, so it is cached per instance; when a job
// ends, the instance that ended it tells every instance over the cluster bus, and an ended job is final.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { SubjectStateCache } from '../auth/subject-state.cache.js';
import { ClusterBus } from '../redis/cluster-bus.js';
import { isActive } from './job-state.js';
import { JobsRepository } from './jobs.repository.js';

interface WorkerAccess {
  tokenVersion: number;
  active: boolean;
}

/** A safety net for a lost bus message: an active entry is re-read after this long; an ended one never. */
const ACTIVE_MAX_AGE_MS = 5_000;

@Injectable()
export class WorkerAccessCache implements OnModuleInit {
  private readonly cache: SubjectStateCache<WorkerAccess>;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    jobs: JobsRepository,
    bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
  ) {
    this.cache = new SubjectStateCache(bus, {
      topic: 'job:ended',
      idField: 'jobId',
      maxEntries: 50_000,
      maxAgeMs: (access) => (access.active ? ACTIVE_MAX_AGE_MS : Number.POSITIVE_INFINITY),
      load: async (id) => {
        const job = await jobs.workerAccess(dataSource.manager, id);
        return job ? { tokenVersion: job.tokenVersion, active: isActive(job.status) } : undefined;
      },
      // An ended job never runs again: the end stays, and wins over a read that was in flight.
      afterChange: (previous) => ({ tokenVersion: previous?.tokenVersion ?? 0, active: false }),
    });
  }

  onModuleInit(): void {
    this.cache.listen();
    this.principals.register(['worker'], (jobId, tokenVersion) => this.isCurrent(jobId, tokenVersion));
  }

  async isCurrent(jobId: string, tokenVersion: number): Promise<boolean> {
    const access = await this.cache.get(jobId, tokenVersion);
    return access !== undefined && access.active && access.tokenVersion === tokenVersion;
  }

  /** Tells every instance that the job ended, so its worker tokens stop working (call after the commit). */
  async ended(jobId: string): Promise<void> {
    await this.cache.announce(jobId);
  }
}
