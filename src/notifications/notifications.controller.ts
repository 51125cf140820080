import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, Authenticated, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import type { Page } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import {
  CreateNotificationsDto,
  ListNotificationsQueryDto,
  type NotificationDto,
  NotificationItemsDto,
  NotificationPageDto,
  ReadResultDto,
  UnreadCountDto,
} from './dto/notifications.dto.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@Authenticated()
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Notify up to 1000 users at once (one transaction, events after commit)' })
  @ApiCreatedResponse({ type: NotificationItemsDto, description: 'One notification per distinct user' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: not an admin' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND: unknown user ids (details.userIds); nothing is written' })
  create(@Body() dto: CreateNotificationsDto): Promise<NotificationItemsDto> {
    return this.notifications.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'Own notifications, newest first; with afterSeq those after it, oldest first' })
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED (limit, cursor, unread, afterSeq)' })
  list(@Actor() actor: Principal, @Query() query: ListNotificationsQueryDto): Promise<Page<NotificationDto>> {
    return this.notifications.list(actor, query);
  }

  // Declared before the `:id` routes.
  @Get('unread-count')
  @ApiOperation({ summary: 'Own unread count' })
  @ApiOkResponse({ type: UnreadCountDto })
  unreadCount(@Actor() actor: Principal): Promise<UnreadCountDto> {
    return this.notifications.unreadCount(actor);
  }

  @Post('read-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark every own notification read' })
  @ApiOkResponse({ type: ReadResultDto })
  readAll(@Actor() actor: Principal): Promise<ReadResultDto> {
    return this.notifications.markAllRead(actor);
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark one own notification read (idempotent)' })
  @ApiOkResponse({ type: ReadResultDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: malformed id' })
  @ApiForbiddenResponse({ description: "FORBIDDEN: another user's notification" })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  read(@Actor() actor: Principal, @UuidParam() id: string): Promise<ReadResultDto> {
    return this.notifications.markRead(actor, id);
  }
}
