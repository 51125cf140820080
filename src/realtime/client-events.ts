// Every event the server sends to clients, with its payload: defined once in @realtime-hub/protocol, which the
// clients import too. The publisher accepts only these names.
export type {
  Ack,
  ConversationPayload,
  ErrorEventPayload,
  InboxUpdatePayload,
  JobEventPayload,
  JobPayload,
  KioskEndReason,
  KioskSessionPayload,
  KioskSessionStatus,
  MessagePayload,
  MessageReadPayload,
  NotificationPayload,
  PresencePayload,
  ResourcePayload,
  ResourceUpdatePayload,
  StatsPayload,
  SuggestionPayload,
  SuggestionVotePayload,
  TimeUpdatePayload,
  UnreadCountPayload,
  WorkstationPayload,
} from '@realtime-hub/protocol';

import type { ServerEvents as ProtocolServerEvents } from '@realtime-hub/protocol';

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/**
 * The protocol's map, with the fields that the ordering work adds to `notifications:unread` (`version`) and
 * `inbox:update` (`lastMessageSeq`, `lastReadSeq`) optional until the services that send them are merged. Once
 * they are, this becomes `export type { ServerEvents } from '@realtime-hub/protocol'`.
 */
export type ServerEvents = Omit<ProtocolServerEvents, 'notifications:unread' | 'inbox:update'> & {
  'notifications:unread': Optional<ProtocolServerEvents['notifications:unread'], 'version'>;
  'inbox:update': Optional<ProtocolServerEvents['inbox:update'], 'lastMessageSeq' | 'lastReadSeq'>;
};

export type ServerEventName = keyof ServerEvents;
