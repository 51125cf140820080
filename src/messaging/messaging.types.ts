// The shapes messaging answers and publishes; the event payloads themselves live in realtime/client-events.ts.
import type { ConversationPayload, MessagePayload } from '../realtime/client-events.js';

export type MessageView = MessagePayload;
export type ConversationView = ConversationPayload;
export type MemberView = ConversationPayload['members'][number];

export interface ReadState {
  lastReadSeq: number;
  unreadCount: number;
}
