import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation, Unique } from 'typeorm';
import { User } from '../auth/user.entity.js';
import { Conversation } from './conversation.entity.js';

export const MESSAGE_BODY_MAX = 4000;
export const CLIENT_ID_MAX = 100;

@Entity({ name: 'messages' })
@Unique('messages_conversation_seq_key', ['conversationId', 'seq'])
@Unique('messages_client_id_key', ['conversationId', 'senderId', 'clientId'])
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id' })
  conversation?: Relation<Conversation>;

  /** Grows by one per conversation, from 1. */
  @Column({ type: 'integer' })
  seq: number;

  @Column({ name: 'sender_id', type: 'uuid' })
  senderId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sender_id' })
  sender?: Relation<User>;

  @Column({ type: 'text' })
  body: string;

  /** The sender's idempotency key; unique per (conversation, sender). */
  @Column({ name: 'client_id', type: 'text', nullable: true })
  clientId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
