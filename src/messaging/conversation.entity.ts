import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { User } from '../auth/user.entity.js';
import { ConversationMember } from './conversation-member.entity.js';

export const CONVERSATION_KINDS = ['direct', 'group'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

@Entity({ name: 'conversations' })
@Index('conversations_last_activity_idx', ['lastActivityAt', 'id'])
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: ConversationKind;

  @Column({ type: 'text', nullable: true })
  title: string | null;

  /** For direct conversations: the two member ids, sorted and joined with ':'. Unique, so one per pair. */
  @Index('conversations_direct_key_key', { unique: true })
  @Column({ name: 'direct_key', type: 'text', nullable: true })
  directKey: string | null;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by' })
  creator?: Relation<User> | null;

  /** The seq of the newest message (0 when none); allocated under this row's lock. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq: number;

  /** The newest message's time, or the creation time; the inbox is ordered by it. */
  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;

  /** The members' ids, kept by a trigger on conversation_members; read under this row's lock by an append. */
  @Column({ name: 'member_ids', type: 'uuid', array: true, default: () => "'{}'" })
  memberIds: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @OneToMany(() => ConversationMember, (member) => member.conversation)
  members?: Relation<ConversationMember>[];
}
