import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import { CLIENT_ID_MAX, MESSAGE_BODY_MAX } from '../message.entity.js';
import { IsText } from './text.validator.js';
import { IsUuid } from '../../common/uuid-param.js';

/** Seqs are Postgres integers. */
export const MAX_SEQ = 2_147_483_647;

export class SendMessageDto {
  @ApiProperty({
    minLength: 1,
    maxLength: MESSAGE_BODY_MAX,
    description: 'Stored as sent (not trimmed); must not be only whitespace. Length in Unicode code points.',
  })
  @IsText(1, MESSAGE_BODY_MAX)
  body: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: CLIENT_ID_MAX,
    description: 'Idempotency key: resending it in this conversation returns the first message (200), no new event',
  })
  @IsOptional()
  @IsText(1, CLIENT_ID_MAX, { allowBlank: true })
  clientId?: string;
}

export class WsSendMessageDto extends SendMessageDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  conversationId: string;
}

export class ReadDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Clamped to the last seq; a lower value than the current mark changes nothing',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  seq: number;
}

export class WsReadDto extends ReadDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  conversationId: string;
}

export class TypingDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  conversationId: string;

  @ApiProperty()
  @IsBoolean()
  isTyping: boolean;
}

export class MessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'The `limit` messages just before this seq' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  beforeSeq?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'The `limit` messages just after this seq (resync, gap filling)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  afterSeq?: number;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) conversationId: string;
  @ApiProperty({ minimum: 1 }) seq: number;
  @ApiProperty({ format: 'uuid' }) senderId: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: String, nullable: true }) clientId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageDto], description: 'Ascending by seq' }) items: MessageDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Continues in the direction of the query: older messages for the default and `beforeSeq`, newer ones for `afterSeq`; null when there are no more',
  })
  nextCursor: string | null;
}

export class ReadStateDto {
  @ApiProperty({ minimum: 0 }) lastReadSeq: number;
  @ApiProperty({ minimum: 0 }) unreadCount: number;
}
