import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional } from 'class-validator';
import { CONVERSATION_KINDS, type ConversationKind } from '../conversation.entity.js';
import { MessageDto } from './message.dto.js';
import { IsText } from './text.validator.js';
import { IsUuid } from '../../common/uuid-param.js';

export const MAX_MEMBER_IDS = 100;
export const TITLE_MAX = 100;

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateConversationDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: MAX_MEMBER_IDS,
    description:
      'The other members. The caller is always a member (their own id here is ignored). One other member and no title → the direct conversation with them (reused if it exists); otherwise a new group. Unknown or disabled users → VALIDATION_FAILED.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBER_IDS)
  @IsUuid({ each: true })
  memberIds: string[];

  @ApiPropertyOptional({ minLength: 1, maxLength: TITLE_MAX, description: 'Trimmed; makes the conversation a group' })
  @IsOptional()
  @Transform(trim)
  @IsText(1, TITLE_MAX)
  title?: string;
}

export class AddMembersDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_MEMBER_IDS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBER_IDS)
  @IsUuid({ each: true })
  userIds: string[];
}

export class ConversationMemberDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ minimum: 0 }) lastReadSeq: number;
}

export class ConversationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: CONVERSATION_KINDS }) kind: ConversationKind;
  @ApiProperty({ type: String, nullable: true }) title: string | null;
  @ApiProperty({ type: [ConversationMemberDto] }) members: ConversationMemberDto[];
  @ApiProperty({ type: MessageDto, nullable: true }) lastMessage: MessageDto | null;
  @ApiProperty({ minimum: 0, description: "The caller's: last seq − their lastReadSeq" }) unreadCount: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ConversationPageDto {
  @ApiProperty({ type: [ConversationDto] }) items: ConversationDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
