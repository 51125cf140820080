import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { User } from '../auth/user.entity.js';

/**
 * One row per user who ever got a notification: the last seq handed out and the unread count, both changed in
 * the transaction that inserts or reads notifications, with this row locked. `version` grows by one per change of
 * the unread count, so the `notifications:unread` events of one user leave in the order of the changes.
 */
@Entity({ name: 'notification_counters' })
export class NotificationCounter {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq: number;

  @Column({ name: 'unread_count', type: 'integer', default: 0 })
  unreadCount: number;

  @Column({ type: 'integer', default: 0 })
  version: number;
}
