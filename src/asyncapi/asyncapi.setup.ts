// Serves the socket contract as AsyncAPI 3: `/asyncapi.json` (the document) and `/asyncapi` (a page for people).
// The document is built by @realtime-hub/protocol from its event maps; payload schemas come from the DTOs'
// Swagger metadata (validation rules included) where a DTO exists, so REST and socket payloads are described once.
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { buildAsyncApiDocument, type JsonSchema } from '@realtime-hub/protocol';
import type { Request, Response } from 'express';
import { HeartbeatDto, KioskSessionIdDto, TimeUpdateDto, ValidateCodeDto } from '../kiosk/dto/kiosk.dto.js';
import { TypingDto, WsReadDto, WsSendMessageDto } from '../messaging/dto/message.dto.js';
import { NotificationIdDto } from '../notifications/dto/notifications.dto.js';
import { JobShortcutDto } from '../jobs/dto/job-shortcut.dto.js';
import { AuthRefreshDto, ChannelDto } from '../realtime/dto/channel.dto.js';
import { ResourceShortcutDto } from '../resources/dto/resource-shortcut.dto.js';
import { renderAsyncApiPage } from './asyncapi.page.js';

const $ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const wrap = (key: string, name: string): JsonSchema => ({
  type: 'object',
  properties: { [key]: $ref(name) },
  required: [key],
});
const snapshotOf = (name: string): JsonSchema => ({
  type: 'object',
  properties: { channel: { type: 'string' }, snapshot: $ref(name) },
  required: ['channel'],
});

/** Answers `{channel}`: the channel the (un)subscription was about. */
const channelAck: JsonSchema = { type: 'object', properties: { channel: { type: 'string' } }, required: ['channel'] };

/** Answers `{channel}`, and `snapshot` for a channel that has a state to start from (see the contract). */
const subscribed: JsonSchema = {
  type: 'object',
  properties: {
    channel: { type: 'string' },
    snapshot: {
      description:
        "The channel's state, for one that has it: dashboard → Stats, resource:{id} → Resource, job:{id} → Job",
    },
  },
  required: ['channel'],
};

/**
 * OpenAPI 3.0's `nullable: true` (what the Swagger scan writes) as JSON Schema, which AsyncAPI 3's payloads follow and
 * which has no `nullable`: a type becomes `[type, "null"]`, a reference or a composition `anyOf` it and null.
 */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, toJsonSchema(value)]));
  if (nullable !== true) return converted;
  if (typeof converted.type === 'string') return { ...converted, type: [converted.type, 'null'] };
  return { anyOf: [converted, { type: 'null' }] };
}

/** The AsyncAPI document of this app (the socket DTOs are added to the Swagger scan as extra models). */
export function createAsyncApiDocument(app: INestApplication): Record<string, unknown> {
  const openApi = SwaggerModule.createDocument(app, new DocumentBuilder().build(), {
    extraModels: [
      ChannelDto,
      ResourceShortcutDto,
      JobShortcutDto,
      AuthRefreshDto,
      NotificationIdDto,
      WsSendMessageDto,
      WsReadDto,
      TypingDto,
      ValidateCodeDto,
      KioskSessionIdDto,
      TimeUpdateDto,
      HeartbeatDto,
    ],
  });
  return buildAsyncApiDocument({
    schemas: toJsonSchema(openApi.components?.schemas ?? {}) as Record<string, JsonSchema>,
    serverPayloads: {
      presence: $ref('PresenceDto'),
      notification: $ref('NotificationDto'),
      'suggestion:created': $ref('SuggestionDto'),
      'suggestion:updated': $ref('SuggestionDto'),
      event: $ref('JobEventDto'),
      'resource:update': {
        type: 'object',
        properties: {
          resourceId: { type: 'string', format: 'uuid' },
          version: { type: 'integer' },
          changes: { type: 'object', description: 'The PATCH body as applied (`data` is the merge patch)' },
          resource: $ref('ResourceDto'),
          updatedBy: { type: ['string', 'null'], format: 'uuid' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
        required: ['resourceId', 'version', 'changes', 'resource', 'updatedBy', 'updatedAt'],
      },
      'session:update': wrap('session', 'KioskSessionDto'),
      'workstation:update': wrap('workstation', 'WorkstationDto'),
      code_valid: wrap('session', 'KioskSessionDto'),
      session_started: wrap('session', 'KioskSessionDto'),
      time_update: $ref('TimeUpdateDto'),
      stats_update: $ref('StatsDto'),
      'message:new': $ref('MessageDto'),
      'conversation:added': wrap('conversation', 'ConversationDto'),
    },
    clientPayloads: {
      subscribe: $ref('ChannelDto'),
      unsubscribe: $ref('ChannelDto'),
      'subscribe:resource': $ref('ResourceShortcutDto'),
      'subscribe:job': $ref('JobShortcutDto'),
      'auth:refresh': $ref('AuthRefreshDto'),
      'notification:read': $ref('NotificationIdDto'),
      'message:send': $ref('WsSendMessageDto'),
      'message:read': $ref('WsReadDto'),
      typing: $ref('TypingDto'),
      validate_code: $ref('ValidateCodeDto'),
      start_session: $ref('KioskSessionIdDto'),
      get_time: $ref('KioskSessionIdDto'),
      end_session: $ref('KioskSessionIdDto'),
    },
    replies: {
      subscribe: subscribed,
      unsubscribe: channelAck,
      'subscribe:suggestions': channelAck,
      'auth:refresh': {
        type: 'object',
        properties: { expiresAt: { type: 'string', format: 'date-time' } },
        required: ['expiresAt'],
      },
      'subscribe:resource': snapshotOf('ResourceDto'),
      'subscribe:job': snapshotOf('JobDto'),
      'notification:read': $ref('ReadResultDto'),
      'notification:read_all': $ref('ReadResultDto'),
      'message:send': $ref('MessageDto'),
      'message:read': $ref('ReadStateDto'),
      get_stats: $ref('StatsDto'),
      validate_code: wrap('session', 'KioskSessionDto'),
      start_session: wrap('session', 'KioskSessionDto'),
      get_time: $ref('TimeUpdateDto'),
      end_session: wrap('session', 'KioskSessionDto'),
      heartbeat: $ref('HeartbeatDto'),
    },
  });
}

/** Registers `/asyncapi.json` and `/asyncapi` beside Swagger's `/docs` (public, outside the API prefix). */
export function setupAsyncApi(app: INestApplication): void {
  // Built on the first request, as the OpenAPI document is (src/bootstrap.ts).
  let built: { json: string; page: string } | undefined;
  const served = () => {
    if (!built) {
      const document = createAsyncApiDocument(app);
      built = { json: JSON.stringify(document), page: renderAsyncApiPage(document) };
    }
    return built;
  };
  const http = app.getHttpAdapter();
  http.get('/asyncapi.json', (_req: Request, res: Response) => {
    res.type('application/json').send(served().json);
  });
  http.get('/asyncapi', (_req: Request, res: Response) => {
    res.type('text/html').send(served().page);
  });
}
