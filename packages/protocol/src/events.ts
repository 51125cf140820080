// The event maps in both directions: what the server emits (and on which channel), and what clients send with
// the data their acknowledgement carries.
import { type ChannelKind, channels } from './channels.js';
import type {
  ConversationPayload,
  ErrorEventPayload,
  InboxUpdatePayload,
  JobEventPayload,
  JobPayload,
  KioskEndReason,
  KioskSessionPayload,
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
  TypingPayload,
  UnreadCountPayload,
  WorkstationPayload,
} from './payloads.js';

/** Server → client events and their payloads. */
export interface ServerEvents {
  subscribed: { channel: string };
  unsubscribed: { channel: string; reason?: string };
  error: ErrorEventPayload;
  'auth:expiring': { expiresAt: string };
  presence: PresencePayload;
  notification: NotificationPayload;
  'notifications:unread': UnreadCountPayload;
  'suggestion:created': SuggestionPayload;
  'suggestion:updated': SuggestionPayload;
  'suggestion:vote': SuggestionVotePayload;
  event: JobEventPayload;
  'resource:update': ResourceUpdatePayload;
  'resource:deleted': { resourceId: string };
  'session:update': { session: KioskSessionPayload };
  'workstation:update': { workstation: WorkstationPayload };
  code_valid: { session: KioskSessionPayload };
  code_invalid: { reason: 'unknown' | 'ended' | 'in_use' };
  session_started: { session: KioskSessionPayload };
  time_update: TimeUpdatePayload;
  session_warning: { sessionId: string; remainingSeconds: number };
  session_terminated: { sessionId: string; reason: KioskEndReason; message: string };
  stats_update: StatsPayload;
  'message:new': MessagePayload;
  typing: TypingPayload;
  'message:read': MessageReadPayload;
  'inbox:update': InboxUpdatePayload;
  'conversation:added': { conversation: ConversationPayload };
  'conversation:members': { conversationId: string; members: ConversationPayload['members'] };
}

export type ServerEventName = keyof ServerEvents;

/** Client → server events: `[payload, data of a successful ack]`. */
export interface ClientEvents {
  subscribe: [{ channel: string }, { channel: string; snapshot?: unknown }];
  unsubscribe: [{ channel: string }, { channel: string }];
  'subscribe:resource': [{ resourceId: string }, { channel: string; snapshot?: ResourcePayload }];
  'subscribe:suggestions': [Record<string, never>, { channel: string }];
  'subscribe:job': [{ jobId: string }, { channel: string; snapshot?: JobPayload }];
  'auth:refresh': [{ token: string }, { expiresAt: string }];
  'notification:read': [{ id: string }, { unreadCount: number }];
  'notification:read_all': [Record<string, never>, { unreadCount: number }];
  'message:send': [{ conversationId: string; body: string; clientId?: string }, MessagePayload];
  'message:read': [{ conversationId: string; seq: number }, { lastReadSeq: number; unreadCount: number }];
  typing: [{ conversationId: string; isTyping: boolean }, Record<string, never>];
  get_stats: [Record<string, never>, StatsPayload];
  validate_code: [{ code: string; ipAddress?: string }, { session: KioskSessionPayload }];
  start_session: [{ sessionId: string }, { session: KioskSessionPayload }];
  get_time: [{ sessionId: string }, TimeUpdatePayload];
  end_session: [{ sessionId: string }, { session: KioskSessionPayload }];
  heartbeat: [Record<string, never>, { serverTime: string }];
}

export type ClientEventName = keyof ClientEvents;
export type ClientEventPayload<E extends ClientEventName> = ClientEvents[E][0];
export type ClientEventResult<E extends ClientEventName> = ClientEvents[E][1];

/** Which server events each channel kind carries (events sent to one socket, like `code_valid`, are on none). */
export interface ChannelEvents {
  user: 'notification' | 'notifications:unread' | 'inbox:update' | 'conversation:added';
  conversation: 'message:new' | 'typing' | 'message:read' | 'conversation:members';
  presence: 'presence';
  suggestions: 'suggestion:created' | 'suggestion:updated' | 'suggestion:vote';
  resource: 'resource:update' | 'resource:deleted';
  dashboard: 'stats_update';
  kioskSessions: 'session:update';
  kioskWorkstations: 'workstation:update';
  kioskSession: 'session_started' | 'time_update' | 'session_warning' | 'session_terminated';
  kioskWorkstation: 'code_valid' | 'code_invalid';
  job: 'event';
}

/** The snapshot a subscription to each kind answers with (`undefined` where there is none). */
export interface ChannelSnapshots {
  user: undefined;
  conversation: undefined;
  presence: PresencePayload;
  suggestions: undefined;
  resource: ResourcePayload;
  dashboard: StatsPayload;
  kioskSessions: undefined;
  kioskWorkstations: undefined;
  kioskSession: KioskSessionPayload;
  kioskWorkstation: undefined;
  job: JobPayload;
}

/** Every server event name by channel kind, at run time (for documents and tests). */
export const CHANNEL_EVENTS: { [K in ChannelKind]: ReadonlyArray<ChannelEvents[K]> } = {
  user: ['notification', 'notifications:unread', 'inbox:update', 'conversation:added'],
  conversation: ['message:new', 'typing', 'message:read', 'conversation:members'],
  presence: ['presence'],
  suggestions: ['suggestion:created', 'suggestion:updated', 'suggestion:vote'],
  resource: ['resource:update', 'resource:deleted'],
  dashboard: ['stats_update'],
  kioskSessions: ['session:update'],
  kioskWorkstations: ['workstation:update'],
  kioskSession: ['session_started', 'time_update', 'session_warning', 'session_terminated'],
  kioskWorkstation: ['code_valid', 'code_invalid'],
  job: ['event'],
};

/** Who a socket is, for the events that carry no id of their channel (those of its own room). */
export interface SocketIdentity {
  userId?: string;
  workstationId?: string;
}

/**
 * The channel a server event belongs to, read from its payload; null for events that belong to none (`error`,
 * `auth:expiring`) or to an own room the identity does not name.
 */
export function channelOf<E extends ServerEventName>(
  event: E,
  payload: ServerEvents[E],
  self: SocketIdentity = {},
): string | null {
  const p = payload as Record<string, unknown>;
  const own = self.userId === undefined ? null : channels.user(self.userId);
  switch (event as ServerEventName) {
    case 'subscribed':
    case 'unsubscribed':
      return p.channel as string;
    case 'notification':
      return channels.user(p.userId as string);
    case 'notifications:unread':
    case 'inbox:update':
    case 'conversation:added':
      return own;
    case 'message:new':
    case 'typing':
    case 'message:read':
    case 'conversation:members':
      return channels.conversation(p.conversationId as string);
    case 'presence':
      return channels.presence(p.userId as string);
    case 'suggestion:created':
    case 'suggestion:updated':
    case 'suggestion:vote':
      return channels.suggestions();
    case 'event':
      return channels.job(p.jobId as string);
    case 'resource:update':
    case 'resource:deleted':
      return channels.resource(p.resourceId as string);
    case 'stats_update':
      return channels.dashboard();
    case 'session:update':
      return channels.kioskSessions();
    case 'workstation:update':
      return channels.kioskWorkstations();
    case 'session_started':
      return channels.kioskSession((p.session as { id: string }).id);
    case 'time_update':
    case 'session_warning':
    case 'session_terminated':
      return channels.kioskSession(p.sessionId as string);
    case 'code_valid':
    case 'code_invalid':
      return self.workstationId === undefined ? null : channels.kioskWorkstation(self.workstationId);
    default:
      return null;
  }
}

/** Every server event name, at run time (the type below fails to compile when one is missing). */
export const SERVER_EVENT_NAMES = [
  'subscribed',
  'unsubscribed',
  'error',
  'auth:expiring',
  'presence',
  'notification',
  'notifications:unread',
  'suggestion:created',
  'suggestion:updated',
  'suggestion:vote',
  'event',
  'resource:update',
  'resource:deleted',
  'session:update',
  'workstation:update',
  'code_valid',
  'code_invalid',
  'session_started',
  'time_update',
  'session_warning',
  'session_terminated',
  'stats_update',
  'message:new',
  'typing',
  'message:read',
  'inbox:update',
  'conversation:added',
  'conversation:members',
] as const satisfies readonly ServerEventName[];

/** Every client event name, at run time (the type below fails to compile when one is missing). */
export const CLIENT_EVENT_NAMES = [
  'subscribe',
  'unsubscribe',
  'subscribe:resource',
  'subscribe:suggestions',
  'subscribe:job',
  'auth:refresh',
  'notification:read',
  'notification:read_all',
  'message:send',
  'message:read',
  'typing',
  'get_stats',
  'validate_code',
  'start_session',
  'get_time',
  'end_session',
  'heartbeat',
] as const satisfies readonly ClientEventName[];

type Missing<All, Listed> = Exclude<All, Listed>;
const everyServerEventListed: Missing<ServerEventName, (typeof SERVER_EVENT_NAMES)[number]> extends never
  ? true
  : false = true;
const everyClientEventListed: Missing<ClientEventName, (typeof CLIENT_EVENT_NAMES)[number]> extends never
  ? true
  : false = true;
void everyServerEventListed;
void everyClientEventListed;
