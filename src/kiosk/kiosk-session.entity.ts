import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { KioskEndReason, KioskSessionStatus } from '../realtime/client-events.js';
import { Workstation } from './workstation.entity.js';

/**
 * A timed session opened on a workstation with its access code. The scheduler's due moments (`next_tick_at`,
 * `next_warning_at`, `ends_at`) are columns so that any instance can claim them with one UPDATE.
 */
@Entity({ name: 'kiosk_sessions' })
@Index('kiosk_sessions_created_at_idx', ['createdAt', 'id'])
@Index('kiosk_sessions_status_created_at_idx', ['status', 'createdAt', 'id'])
export class KioskSession {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** 6 of A-Z0-9; unique among sessions not ended (a partial unique index). */
  @Column({ name: 'access_code', type: 'text' })
  accessCode: string;

  @Column({ name: 'holder_name', type: 'text', nullable: true })
  holderName: string | null;

  @Index('kiosk_sessions_workstation_id_idx')
  @Column({ name: 'workstation_id', type: 'uuid', nullable: true })
  workstationId: string | null;

  @ManyToOne(() => Workstation, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'workstation_id' })
  workstation?: Workstation | null;

  /** The whole time granted, extensions included; for an active session `ends_at = started_at + duration`. */
  @Column({ name: 'duration_seconds', type: 'integer' })
  durationSeconds: number;

  @Column({ type: 'text', default: 'pending' })
  status: KioskSessionStatus;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'ends_at', type: 'timestamptz', nullable: true })
  endsAt: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  @Column({ name: 'end_reason', type: 'text', nullable: true })
  endReason: KioskEndReason | null;

  @Column({ name: 'next_tick_at', type: 'timestamptz', nullable: true })
  nextTickAt: Date | null;

  @Column({ name: 'next_warning_at', type: 'timestamptz', nullable: true })
  nextWarningAt: Date | null;

  /** Armed warning thresholds (seconds before the end) not yet sent, largest first. */
  @Column({ name: 'warnings_left', type: 'integer', array: true, default: () => "'{}'" })
  warningsLeft: number[];

  /** Grows by one per change of the session (orders `session:update`). */
  @Column({ type: 'integer', default: 1 })
  version: number;

  /** Grows by one per event on `kiosk:session:{id}` (orders them). */
  @Column({ name: 'event_seq', type: 'integer', default: 0 })
  eventSeq: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
