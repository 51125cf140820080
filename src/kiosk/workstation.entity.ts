import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { WorkstationPayload } from '../realtime/client-events.js';

export type WorkstationStatus = WorkstationPayload['status'];

/** A public computer that runs kiosk sessions; it connects with a kiosk token whose subject is its id. */
@Entity({ name: 'workstations' })
@Index('workstations_created_at_idx', ['createdAt', 'id'])
export class Workstation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress: string | null;

  @Index('workstations_status_idx')
  @Column({ type: 'text', default: 'offline' })
  status: WorkstationStatus;

  /** Kiosk tokens carry it as `tv`; rotating the token bumps it, which revokes every older token. */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion: number;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt: Date | null;

  /** Set when the last socket left: the moment the scheduler marks the workstation offline (unless it is back). */
  @Column({ name: 'offline_at', type: 'timestamptz', nullable: true })
  offlineAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
