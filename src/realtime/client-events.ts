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

export interface ServerEvents {
  subscribed: { channel: string };
  unsubscribed: { channel: string; reason?: string };
  error: ErrorEventPayload;
  'auth:expiring': { expiresAt: string };
  presence: PresencePayload;
}

export type ServerEventName = keyof ServerEvents;

/** The acknowledgement every client-to-server event answers with. */
export type Ack<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } };
