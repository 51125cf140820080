import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../auth/user.entity.js';
import type { ResourceVisibility } from './resource-access.js';

/** A shared JSON document; `version` grows by one per change and orders its events. */
@Entity({ name: 'resources' })
@Index('resources_updated_at_id_idx', ['updatedAt', 'id'])
export class Resource {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('resources_owner_id_idx')
  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'resources_owner_id_fkey' })
  owner?: User;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  visibility: ResourceVisibility;

  /** A JSON object (see resource-data.ts); typed loosely because TypeORM's deep-partial types choke on JSON. */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ type: 'integer', default: 1 })
  version: number;

  /** Who made the current version; null only if that account was deleted. */
  @Index('resources_updated_by_idx')
  @Column({ name: 'updated_by', type: 'uuid', nullable: true })
  updatedBy: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'updated_by', foreignKeyConstraintName: 'resources_updated_by_fkey' })
  updater?: User | null;

  /** Millisecond precision (set by the database), so list cursors round-trip through JavaScript dates. */
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
