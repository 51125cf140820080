import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../auth/user.entity.js';
import type { JobStatus } from './job-state.js';

@Entity({ name: 'jobs' })
@Index('jobs_owner_created_idx', ['ownerId', 'createdAt', 'id'])
@Index('jobs_created_idx', ['createdAt', 'id'])
export class Job {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: User;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: 'pending' })
  status: JobStatus;

  @Column({ name: 'items_scraped', type: 'integer', default: 0 })
  itemsScraped: number;

  @Column({ name: 'pages_scraped', type: 'integer', default: 0 })
  pagesScraped: number;

  @Column({ name: 'current_page', type: 'integer', default: 0 })
  currentPage: number;

  @Column({ name: 'total_pages', type: 'integer', nullable: true })
  totalPages: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  /** Worker tokens carry it as `tv`; bumping it would revoke every worker token of the job. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion: number;

  /** The seq of the job's latest event; the next event takes `lastSeq + 1` under the row lock. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq: number;

  /** When the latest event was stored; a running job idle for JOB_STALL_SECONDS fails as `stalled`. */
  @Column({ name: 'last_event_at', type: 'timestamptz', nullable: true })
  lastEventAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
