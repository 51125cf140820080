// Whether a worker token (subject = a job) may act: the job exists, the token's version is the job's, and the job
// has not ended. Asked on every request and socket event of a worker, so it is cached per instance; when a job
// ends, the instance that ended it tells every instance over the cluster bus (`invalidate`), and an ended job is final.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { TokenSubjectCache } from '../auth/subject-state.cache.js';
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
export class WorkerAccessCache extends TokenSubjectCache<WorkerAccess> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    jobs: JobsRepository,
    bus: ClusterBus,
    principals: PrincipalRegistry,
  ) {
    super(bus, principals, ['worker'], {
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

  /** A job that is still running. */
  protected override accepts(access: WorkerAccess): boolean {
    return access.active;
  }
}
