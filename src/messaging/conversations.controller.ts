import { Body, Controller, Delete, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, Authenticated } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { type Page, PageQueryDto } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import { ConversationsService } from './conversations.service.js';
import { AddMembersDto, ConversationDto, ConversationPageDto, CreateConversationDto } from './dto/conversation.dto.js';
import {
  MessageDto,
  MessagePageDto,
  MessagesQueryDto,
  ReadDto,
  ReadStateDto,
  SendMessageDto,
} from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';
import type { ConversationView, MessageView, ReadState } from './messaging.types.js';

const NOT_MEMBER = 'FORBIDDEN: the caller is not a member';
const MISSING = 'NOT_FOUND: no such conversation';

@ApiTags('messaging')
@Authenticated()
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesService,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: ConversationDto, description: 'A new conversation' })
  @ApiOkResponse({ type: ConversationDto, description: 'The existing direct conversation of the pair' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, also for unknown or disabled member ids' })
  @ApiConflictResponse({ description: 'LIMIT_EXCEEDED: more than MESSAGING_MAX_MEMBERS members' })
  async create(
    @Actor() actor: Principal,
    @Body() dto: CreateConversationDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConversationView> {
    const { value, created } = await this.conversations.create(actor, dto);
    res.status(created ? 201 : 200);
    return value;
  }

  @Get()
  @ApiOkResponse({ type: ConversationPageDto, description: "The caller's, most recent activity first" })
  list(@Actor() actor: Principal, @Query() query: PageQueryDto): Promise<Page<ConversationView>> {
    return this.conversations.list(actor, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ConversationDto })
  @ApiForbiddenResponse({ description: NOT_MEMBER })
  @ApiNotFoundResponse({ description: MISSING })
  get(@Actor() actor: Principal, @UuidParam() id: string): Promise<ConversationView> {
    return this.conversations.get(actor, id);
  }

  @Post(':id/members')
  @HttpCode(200)
  @ApiOkResponse({ type: ConversationDto })
  @ApiForbiddenResponse({ description: `${NOT_MEMBER}, or the conversation is direct` })
  @ApiNotFoundResponse({ description: MISSING })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, also for unknown or disabled user ids' })
  @ApiConflictResponse({ description: 'LIMIT_EXCEEDED: the conversation would pass MESSAGING_MAX_MEMBERS members' })
  addMembers(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Body() dto: AddMembersDto,
  ): Promise<ConversationView> {
    return this.conversations.addMembers(actor, id, dto);
  }

  @Delete(':id/members/me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: "Left; the caller's sockets were removed from the channel" })
  @ApiForbiddenResponse({ description: `${NOT_MEMBER}, or the conversation is direct` })
  @ApiNotFoundResponse({ description: MISSING })
  leave(@Actor() actor: Principal, @UuidParam() id: string): Promise<void> {
    return this.conversations.leave(actor, id);
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessagePageDto })
  @ApiForbiddenResponse({ description: NOT_MEMBER })
  @ApiNotFoundResponse({ description: MISSING })
  listMessages(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Query() query: MessagesQueryDto,
  ): Promise<Page<MessageView>> {
    return this.messages.list(actor, id, query);
  }

  @Post(':id/messages')
  @ApiCreatedResponse({ type: MessageDto, description: 'Sent' })
  @ApiOkResponse({ type: MessageDto, description: 'The clientId was used before: the first message, nothing sent' })
  @ApiForbiddenResponse({ description: NOT_MEMBER })
  @ApiNotFoundResponse({ description: MISSING })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: body 1..4000 characters, clientId 1..100' })
  async send(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MessageView> {
    const { value, created } = await this.messages.send(actor, id, dto);
    res.status(created ? 201 : 200);
    return value;
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOkResponse({ type: ReadStateDto })
  @ApiForbiddenResponse({ description: NOT_MEMBER })
  @ApiNotFoundResponse({ description: MISSING })
  read(@Actor() actor: Principal, @UuidParam() id: string, @Body() dto: ReadDto): Promise<ReadState> {
    return this.messages.read(actor, id, dto.seq);
  }
}
