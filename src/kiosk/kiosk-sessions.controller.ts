import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated } from '../auth/decorators.js';
import type { Page } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import {
  CreateKioskSessionDto,
  ExtendKioskSessionDto,
  KioskSessionDto,
  KioskSessionListQueryDto,
  KioskSessionPageDto,
} from './dto/kiosk.dto.js';
import { KioskSessionsService } from './kiosk-sessions.service.js';

@ApiTags('kiosk')
@Authenticated('admin')
@Controller('kiosk/sessions')
export class KioskSessionsController {
  constructor(private readonly sessions: KioskSessionsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a session (pending) with a fresh 6-character access code' })
  @ApiCreatedResponse({ type: KioskSessionDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED (durationSeconds below KIOSK_MIN_DURATION_SECONDS, ...)' })
  create(@Body() dto: CreateKioskSessionDto): Promise<KioskSessionDto> {
    return this.sessions.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'Sessions, newest first' })
  @ApiOkResponse({ type: KioskSessionPageDto })
  list(@Query() query: KioskSessionListQueryDto): Promise<Page<KioskSessionDto>> {
    return this.sessions.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: KioskSessionDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  get(@UuidParam() id: string): Promise<KioskSessionDto> {
    return this.sessions.get(id);
  }

  @Post(':id/terminate')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the session now (reason `admin`)' })
  @ApiOkResponse({ type: KioskSessionDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION: the session has ended' })
  terminate(@UuidParam() id: string): Promise<KioskSessionDto> {
    return this.sessions.terminate(id);
  }

  @Post(':id/extend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add time',
    description:
      'A pending session gets a longer duration; an active one a later `endsAt` (warnings are planned again). ' +
      'A `time_update` follows on `kiosk:session:{id}`.',
  })
  @ApiOkResponse({ type: KioskSessionDto, description: 'The session with its new `endsAt`' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION: the session has ended' })
  extend(@UuidParam() id: string, @Body() dto: ExtendKioskSessionDto): Promise<KioskSessionDto> {
    return this.sessions.extend(id, dto);
  }
}
