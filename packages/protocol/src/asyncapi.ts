// The socket contract as an AsyncAPI 3 document, built from the event maps and channel table of this package. The
// server passes the JSON schemas of its DTOs (validation rules included) for the payloads that have one; the rest
// get the small schemas below, written next to the types they describe.
import { CHANNEL_PATTERNS, type ChannelKind } from './channels.js';
import { ErrorCodes } from './errors.js';
import {
  CHANNEL_EVENTS,
  CLIENT_EVENT_NAMES,
  type ClientEventName,
  SERVER_EVENT_NAMES,
  type ServerEventName,
} from './events.js';

export type JsonSchema = Record<string, unknown>;

export interface AsyncApiInput {
  title?: string;
  version?: string;
  description?: string;
  /** Named schemas (e.g. the server's DTOs), referenced as `#/components/schemas/<name>`. */
  schemas?: Record<string, JsonSchema>;
  /** Payload schema by server event, where the server has a better one than the defaults here. */
  serverPayloads?: Partial<Record<ServerEventName, JsonSchema>>;
  /** Request payload by client event. */
  clientPayloads?: Partial<Record<ClientEventName, JsonSchema>>;
  /** Data of a successful ack by client event. */
  replies?: Partial<Record<ClientEventName, JsonSchema>>;
}

const str = { type: 'string' };
const uuid = { type: 'string', format: 'uuid' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const time = { type: 'string', format: 'date-time' };
const object = (properties: Record<string, unknown>, optional: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
});

/** Payloads that no DTO describes. */
const DEFAULT_SERVER_PAYLOADS: Partial<Record<ServerEventName, JsonSchema>> = {
  subscribed: object({ channel: str }),
  unsubscribed: object({ channel: str, reason: str }, ['reason']),
  error: object({ code: { type: 'string', enum: Object.values(ErrorCodes) }, message: str, event: str }),
  'auth:expiring': object({ expiresAt: time }),
  'notifications:unread': object({
    count: int,
    version: { type: 'integer', description: 'Grows by one with each change of the count; keep the highest' },
  }),
  'suggestion:vote': object({ suggestionId: uuid, upvotes: int, downvotes: int, score: int, version: int }),
  'resource:deleted': object({ resourceId: uuid }),
  code_invalid: object({ reason: { type: 'string', enum: ['unknown', 'ended', 'in_use'] } }),
  time_update: object({
    sessionId: uuid,
    remainingSeconds: int,
    remainingMinutes: int,
    percentUsed: { type: 'integer', minimum: 0, maximum: 100 },
    status: { type: 'string', enum: ['pending', 'active', 'ended'] },
  }),
  session_warning: object({ sessionId: uuid, remainingSeconds: int }),
  session_terminated: object({
    sessionId: uuid,
    reason: { type: 'string', enum: ['expired', 'closed', 'admin'] },
    message: str,
  }),
  typing: object({ conversationId: uuid, userId: uuid, isTyping: bool }),
  'message:read': object({ conversationId: uuid, userId: uuid, seq: int }),
  'inbox:update': object({
    conversationId: uuid,
    lastMessage: { type: ['object', 'null'] },
    unreadCount: int,
    lastMessageSeq: { type: 'integer', description: 'Only grows; keep the highest with its lastMessage' },
    lastReadSeq: { type: 'integer', description: 'Only grows; unread = max(0, lastMessageSeq - lastReadSeq)' },
  }),
  'conversation:members': object({
    conversationId: uuid,
    members: { type: 'array', items: { $ref: '#/components/schemas/ConversationMemberDto' } },
  }),
};

const EMPTY = { type: 'object', additionalProperties: false };

const CHANNEL_DESCRIPTIONS: Record<ChannelKind, string> = {
  user: 'A user’s own room (joined on connect)',
  conversation: 'A conversation (members)',
  presence: 'A user’s presence (that user, and users sharing a conversation)',
  suggestions: 'Suggestions and their votes (any user)',
  resource: 'A shared resource (its readers)',
  dashboard: 'Admin dashboard statistics',
  kioskSessions: 'Every kiosk session (admin)',
  kioskWorkstations: 'Every workstation (admin)',
  kioskSession: 'One kiosk session (admin; the workstation running it)',
  kioskWorkstation: 'A workstation’s own room (joined on connect)',
  job: 'A job’s events (owner, admin, its worker)',
};

/** A name usable as an AsyncAPI component key (`^[a-zA-Z0-9.\-_]+$`). */
export function asyncApiKey(eventName: string): string {
  return eventName.replace(/[^a-zA-Z0-9._-]/g, '_');
}

const PATTERNS = CHANNEL_PATTERNS as Partial<Record<ChannelKind, string>>;

/** The AsyncAPI 3.0 document of the socket contract, as the server sees it (it sends server events). */
export function buildAsyncApiDocument(input: AsyncApiInput = {}): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  const channelsOut: Record<
    string,
    { address: string | null; description: string; parameters?: unknown; messages: Record<string, unknown> }
  > = {};
  const operations: Record<string, unknown> = {};
  const ref = (path: string) => ({ $ref: path });

  const serverPayload = (event: ServerEventName) =>
    input.serverPayloads?.[event] ?? DEFAULT_SERVER_PAYLOADS[event] ?? { type: 'object' };
  for (const event of SERVER_EVENT_NAMES) {
    messages[asyncApiKey(event)] = { name: event, title: event, payload: serverPayload(event) };
  }

  // The connection itself: events to one socket, and every client event with its acknowledgement.
  const socket = {
    address: null,
    description:
      'The Socket.IO connection (path /socket.io, namespace /): events to this socket only, and client events',
    messages: {} as Record<string, unknown>,
  };
  channelsOut.socket = socket;
  const onSomeChannel = new Set<string>(Object.values(CHANNEL_EVENTS).flat());
  for (const event of SERVER_EVENT_NAMES) {
    if (onSomeChannel.has(event)) continue;
    const key = asyncApiKey(event);
    socket.messages[key] = ref(`#/components/messages/${key}`);
    operations[`send_${key}`] = {
      action: 'send',
      channel: ref('#/channels/socket'),
      messages: [ref(`#/channels/socket/messages/${key}`)],
    };
  }

  for (const [kind, events] of Object.entries(CHANNEL_EVENTS) as Array<[ChannelKind, readonly ServerEventName[]]>) {
    const pattern = PATTERNS[kind] ?? (kind === 'kioskWorkstation' ? 'kiosk:workstation:{workstationId}' : kind);
    const parameters = Object.fromEntries(
      [...pattern.matchAll(/\{([a-zA-Z]+)\}/g)].map(([, name]) => [name, { description: `The ${name} (a UUID)` }]),
    );
    const channel = {
      address: pattern,
      description: CHANNEL_DESCRIPTIONS[kind],
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      messages: {} as Record<string, unknown>,
    };
    channelsOut[kind] = channel;
    for (const event of events) {
      const key = asyncApiKey(event);
      channel.messages[key] = ref(`#/components/messages/${key}`);
      operations[`send_${key}_on_${kind}`] = {
        action: 'send',
        channel: ref(`#/channels/${kind}`),
        messages: [ref(`#/channels/${kind}/messages/${key}`)],
      };
    }
  }

  const ackError = ref('#/components/schemas/AckError');
  for (const event of CLIENT_EVENT_NAMES) {
    const key = `client.${asyncApiKey(event)}`;
    const ackKey = `${key}.ack`;
    messages[key] = { name: event, title: event, payload: input.clientPayloads?.[event] ?? EMPTY };
    messages[ackKey] = {
      name: `${event} (ack)`,
      title: `Acknowledgement of ${event}`,
      payload: {
        oneOf: [
          object({ ok: { const: true }, data: input.replies?.[event] ?? { type: 'object' } }),
          object({ ok: { const: false }, error: ackError }),
        ],
      },
    };
    socket.messages[key] = ref(`#/components/messages/${key}`);
    socket.messages[ackKey] = ref(`#/components/messages/${ackKey}`);
    operations[`receive_${asyncApiKey(event)}`] = {
      action: 'receive',
      channel: ref('#/channels/socket'),
      messages: [ref(`#/channels/socket/messages/${key}`)],
      reply: { channel: ref('#/channels/socket'), messages: [ref(`#/channels/socket/messages/${ackKey}`)] },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: input.title ?? 'realtime-hub sockets',
      version: input.version ?? '1',
      description:
        input.description ??
        'Socket.IO contract of realtime-hub: channels (rooms) and the events on them; every client event takes an ' +
          'acknowledgement `{ok: true, data}` or `{ok: false, error}`. Generated from @realtime-hub/protocol.',
    },
    defaultContentType: 'application/json',
    channels: channelsOut,
    operations,
    components: {
      schemas: {
        ...input.schemas,
        AckError: object({ code: { type: 'string', enum: Object.values(ErrorCodes) }, message: str, details: {} }, [
          'details',
        ]),
      },
      messages,
    },
  };
}
