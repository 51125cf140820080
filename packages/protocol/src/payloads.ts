// The payloads of the contract (shared/CONTRACT.md), as they travel over the socket and in REST answers.

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

/** A Job of the contract (jobs module); the snapshot of `job:{id}`. */
export interface JobPayload {
  id: string;
  ownerId: string;
  name: string;
  status: 'pending' | 'running' | 'completed' | 'failed';
  progress: {
    itemsScraped: number;
    pagesScraped: number;
    currentPage: number;
    totalPages: number | null;
    elapsedTime: number;
  };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * `notifications:unread`: `version` grows by one with each change of that user's unread count; a client keeps the
 * highest version and ignores an older one.
 */
export interface UnreadCountPayload {
  count: number;
  version: number;
}

/**
 * `inbox:update`: both seqs only grow. A client merges per conversation, keeping the highest `lastMessageSeq` (with
 * its `lastMessage`) and the highest `lastReadSeq`, and shows `max(0, lastMessageSeq - lastReadSeq)` as unread;
 * order-independent, exact once every event arrived. `unreadCount` is the sender's view at publication.
 */
export interface InboxUpdatePayload {
  conversationId: string;
  lastMessage: MessagePayload | null;
  unreadCount: number;
  lastMessageSeq: number;
  lastReadSeq: number;
}

/** `message:read`: per (conversation, user) a client keeps the highest seq. */
export interface MessageReadPayload {
  conversationId: string;
  userId: string;
  seq: number;
}

export interface TypingPayload {
  conversationId: string;
  userId: string;
  isTyping: boolean;
}
