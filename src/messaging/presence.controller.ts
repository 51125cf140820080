import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, Authenticated } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import type { PresencePayload } from '../realtime/client-events.js';
import { PresenceListDto, PresenceQueryDto } from './dto/presence.dto.js';
import { MessagingPresenceService } from './messaging-presence.service.js';

@ApiTags('messaging')
@Authenticated()
@Controller('presence')
export class PresenceController {
  constructor(private readonly presence: MessagingPresenceService) {}

  @Get()
  @ApiOkResponse({
    type: PresenceListDto,
    description: 'Only users whose presence channel the caller may join (self, users sharing a conversation)',
  })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED: 1..100 UUIDs' })
  list(@Actor() actor: Principal, @Query() query: PresenceQueryDto): Promise<{ items: PresencePayload[] }> {
    return this.presence.visible(actor, query.userIds);
  }
}
