import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import type { NotificationPayload } from '../../realtime/client-events.js';
import { IsUuid } from '../../common/uuid-param.js';
import { AsSent } from '../../common/validation.js';

/** Limits shared by the REST body and the internal API (NotificationsService.notify). */
export const NOTIFICATION_LIMITS = {
  maxUsers: 1000,
  type: 100,
  title: 200,
  body: 2000,
  /** `data` as JSON, in bytes: it is stored once per recipient. */
  dataBytes: 16 * 1024,
} as const;

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateNotificationsDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: NOTIFICATION_LIMITS.maxUsers,
    description: 'Recipients; duplicates are ignored. An unknown id fails the whole request with 404 NOT_FOUND.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(NOTIFICATION_LIMITS.maxUsers)
  @IsUuid({ each: true })
  userIds: string[];

  @ApiProperty({ minLength: 1, maxLength: NOTIFICATION_LIMITS.type, example: 'suggestion.vote' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(NOTIFICATION_LIMITS.type)
  type: string;

  @ApiProperty({ minLength: 1, maxLength: NOTIFICATION_LIMITS.title, example: 'Your suggestion got a vote' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(NOTIFICATION_LIMITS.title)
  title: string;

  @ApiPropertyOptional({ type: String, maxLength: NOTIFICATION_LIMITS.body, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(NOTIFICATION_LIMITS.body)
  body?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Any JSON object (default {}), at most ${NOTIFICATION_LIMITS.dataBytes} bytes as JSON`,
  })
  @IsOptional()
  @IsObject()
  @AsSent()
  @ValidateBy({
    name: 'maxJsonBytes',
    validator: {
      validate: (value: unknown) => jsonBytes(value) <= NOTIFICATION_LIMITS.dataBytes,
      defaultMessage: () => `data must be at most ${NOTIFICATION_LIMITS.dataBytes} bytes as JSON`,
    },
  })
  data?: Record<string, unknown>;
}

export class ListNotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only unread notifications' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unread?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Resync: the notifications with a seq greater than this, oldest first (paginated with limit/cursor)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  afterSeq?: number;
}

export class NotificationIdDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  id: string;
}

export class NotificationDto implements NotificationPayload {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'Grows by one per user' }) seq: number;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ example: 'suggestion.vote' }) type: string;
  @ApiProperty() title: string;
  @ApiProperty({ type: String, nullable: true }) body: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) readAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class NotificationItemsDto {
  @ApiProperty({ type: [NotificationDto] }) items: NotificationDto[];
}

export class NotificationPageDto extends NotificationItemsDto {
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class UnreadCountDto {
  @ApiProperty() count: number;
  @ApiProperty({
    description: 'Grows by one with each change of the count; the same version as the `notifications:unread` events',
  })
  version: number;
}

export class ReadResultDto {
  @ApiProperty() unreadCount: number;
}
