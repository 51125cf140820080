// Every event the server sends to clients, with its payload. The publisher accepts only these names.
// Modules add their events here as they land.

export interface ErrorEventPayload {
  code: string;
  message: string;
  event: string | null;
}

export interface PresencePayload {
  userId: string;
  online: boolean;
  lastSeenAt: string | null;
}

/** The Notification of the contract (notifications module). */
export interface NotificationPayload {
  id: string;
  seq: number;
  userId: string;
  type: string;
  title: string;
  body: string | null;
  data: Record<string, unknown>;
  readAt: string | null;
  createdAt: string;
}

/** A Suggestion as published (without `myVote`). */
export interface SuggestionPayload {
  id: string;
  authorId: string;
  title: string;
  description: string;
  status: 'open' | 'closed';
  upvotes: number;
  downvotes: number;
  score: number;
  version: number;
  createdAt: string;
}

export interface SuggestionVotePayload {
  suggestionId: string;
  upvotes: number;
  downvotes: number;
  score: number;
  version: number;
}

/** One event of a job, as published on `job:{id}` and listed by `GET /jobs/:id/events` (jobs module). */
export interface JobEventPayload {
  type: 'job_started' | 'job_progress' | 'item_scraped' | 'job_completed' | 'job_failed';
  jobId: string;
  seq: number;
  timestamp: string;
  data: Record<string, unknown>;
}

/** A Resource of the contract (resources module). */
export interface ResourcePayload {
  id: string;
  ownerId: string;
  name: string;
  visibility: 'public' | 'private';
  data: Record<string, unknown>;
  version: number;
  updatedBy: string | null;
  updatedAt: string;
}

/** One version of a resource: `changes` is the PATCH body as applied (`data` there is the merge patch). */
export interface ResourceUpdatePayload {
  resourceId: string;
  version: number;
  changes: { name?: string; visibility?: 'public' | 'private'; data?: Record<string, unknown> };
  resource: ResourcePayload;
  updatedBy: string | null;
  updatedAt: string;
}

/** The KioskSession of the contract (kiosk module). */
export type KioskSessionStatus = 'pending' | 'active' | 'ended';
export type KioskEndReason = 'expired' | 'closed' | 'admin';

export interface KioskSessionPayload {
  id: string;
  accessCode: string;
  holderName: string | null;
  workstationId: string | null;
  durationSeconds: number;
  remainingSeconds: number;
  status: KioskSessionStatus;
  startedAt: string | null;
  endsAt: string | null;
  endedAt: string | null;
  endReason: KioskEndReason | null;
}

/** The Workstation of the contract (kiosk module). */
export interface WorkstationPayload {
  id: string;
  name: string;
  ipAddress: string | null;
  status: 'available' | 'occupied' | 'offline';
  lastSeenAt: string | null;
}

export interface TimeUpdatePayload {
  sessionId: string;
  remainingSeconds: number;
  remainingMinutes: number;
  percentUsed: number;
  status: KioskSessionStatus;
}

/** The dashboard's Stats (dashboard module). */
export interface StatsPayload {
  users: { total: number; active: number; newThisMonth: number };
  sessions: { total: number; active: number; pending: number; endedToday: number };
  workstations: { total: number; available: number; occupied: number; offline: number };
  realtime: { connections: number; onlineUsers: number };
  timestamp: string;
}

/** A Message of the contract (messaging module). */
export interface MessagePayload {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  clientId: string | null;
  createdAt: string;
}

/** A Conversation of the contract, as seen by one member (`unreadCount` is theirs). */
export interface ConversationPayload {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  members: Array<{ userId: string; displayName: string; lastReadSeq: number }>;
  lastMessage: MessagePayload | null;
  unreadCount: number;
  createdAt: string;
}

export interface ServerEvents {
  subscribed: { channel: string };
  unsubscribed: { channel: string; reason?: string };
  error: ErrorEventPayload;
  'auth:expiring': { expiresAt: string };
  presence: PresencePayload;
  notification: NotificationPayload;
  /** `version` grows by one with each change of the count: a device keeps the highest it has seen. */
  'notifications:unread': { count: number; version: number };
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
  typing: { conversationId: string; userId: string; isTyping: boolean };
  'message:read': { conversationId: string; userId: string; seq: number };
  /**
   * One member's view of a conversation. Both seqs only grow, and each event carries at least the value its own
   * change wrote: a device keeps the highest `lastMessageSeq` (with its `lastMessage`) and the highest `lastReadSeq`
   * it has seen and shows `max(0, lastMessageSeq - lastReadSeq)`, whatever order the events arrive in.
   */
  'inbox:update': {
    conversationId: string;
    lastMessage: MessagePayload | null;
    unreadCount: number;
    lastMessageSeq: number;
    lastReadSeq: number;
  };
  'conversation:added': { conversation: ConversationPayload };
  'conversation:members': { conversationId: string; members: ConversationPayload['members'] };
}

export type ServerEventName = keyof ServerEvents;

/** The acknowledgement every client-to-server event answers with. */
export type Ack<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } };
