// Whether a worker token (subject = a job) may act: the job exists, the token's version is the job's, and the job
// has not ended. Asked on every request and socket event of a worker, so it is cached per instance; when a job
// ends, the instance that ended it tells every instance over the cluster bus, and an ended job is final.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { UUID_PATTERN } from '../common/uuid-param.js';
import { ClusterBus } from '../redis/cluster-bus.js';
import { isActive } from './job-state.js';
import { Job } from './job.entity.js';

interface WorkerAccess {
  tokenVersion: number;
  active: boolean;
  loadedAt: number;
}

const TOPIC = 'job:ended';
/** A safety net for a lost bus message: an active entry is re-read after this long. */
const ACTIVE_MAX_AGE_MS = 5_000;
const MAX_ENTRIES = 50_000;

@Injectable()
export class WorkerAccessCache implements OnModuleInit {
  private readonly entries = new Map<string, WorkerAccess>();

  constructor(
    @InjectRepository(Job) private readonly jobs: Repository<Job>,
    private readonly bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
  ) {}

  onModuleInit(): void {
    this.bus.on(TOPIC, (payload) => this.markEnded((payload as { jobId: string }).jobId));
    this.principals.register(['worker'], (jobId, tokenVersion) => this.isCurrent(jobId, tokenVersion));
  }

  async isCurrent(jobId: string, tokenVersion: number): Promise<boolean> {
    if (!UUID_PATTERN.test(jobId)) return false;
    let entry = this.entries.get(jobId);
    const stale =
      !entry ||
      (entry.active && Date.now() - entry.loadedAt > ACTIVE_MAX_AGE_MS) ||
      // A token newer than what we hold means our copy is behind.
      tokenVersion > entry.tokenVersion;
    if (stale) entry = await this.load(jobId);
    return entry !== undefined && entry.active && entry.tokenVersion === tokenVersion;
  }

  /** Tells every instance that the job ended, so its worker tokens stop working (call after the commit). */
  async ended(jobId: string): Promise<void> {
    await this.bus.publish(TOPIC, { jobId });
  }

  private markEnded(jobId: string): void {
    const entry = this.entries.get(jobId);
    this.remember(jobId, { tokenVersion: entry?.tokenVersion ?? 0, active: false, loadedAt: Date.now() });
  }

  private async load(jobId: string): Promise<WorkerAccess | undefined> {
    const job = await this.jobs.findOne({
      where: { id: jobId },
      select: { id: true, status: true, tokenVersion: true },
    });
    if (!job) {
      this.entries.delete(jobId);
      return undefined;
    }
    // An end announced while this read was in flight wins: an ended job never runs again.
    const known = this.entries.get(jobId);
    if (known && !known.active) return known;
    const entry = { tokenVersion: job.tokenVersion, active: isActive(job.status), loadedAt: Date.now() };
    this.remember(jobId, entry);
    return entry;
  }

  private remember(jobId: string, entry: WorkerAccess): void {
    if (!this.entries.has(jobId) && this.entries.size >= MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(jobId, entry);
  }
}
