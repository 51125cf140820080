import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../auth/user.entity.js';
import { Conversation } from './conversation.entity.js';

@Entity({ name: 'conversation_members' })
export class ConversationMember {
  @PrimaryColumn({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @ManyToOne(() => Conversation, (conversation) => conversation.members, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  @Index('conversation_members_user_id_idx')
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;

  /** Never moves back, never past the conversation's last_seq; unread = last_seq - last_read_seq. */
  @Column({ name: 'last_read_seq', type: 'integer', default: 0 })
  lastReadSeq: number;

  @Column({ name: 'joined_at', type: 'timestamptz' })
  joinedAt: Date;
}
