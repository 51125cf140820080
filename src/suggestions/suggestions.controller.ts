import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, Authenticated } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import type { Page } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import {
  CreateSuggestionDto,
  ListSuggestionsQueryDto,
  SuggestionDto,
  SuggestionPageDto,
  UpdateSuggestionDto,
  VoteDto,
  VoteResultDto,
} from './dto/suggestions.dto.js';
import { SuggestionsService } from './suggestions.service.js';

@ApiTags('suggestions')
@Authenticated()
@Controller('suggestions')
export class SuggestionsController {
  constructor(private readonly suggestions: SuggestionsService) {}

  @Post()
  @ApiCreatedResponse({ type: SuggestionDto, description: 'Also emits `suggestion:created` on `suggestions:votes`' })
  create(@Actor() actor: Principal, @Body() dto: CreateSuggestionDto): Promise<SuggestionDto> {
    return this.suggestions.create(actor, dto);
  }

  @Get()
  @ApiOkResponse({ type: SuggestionPageDto })
  list(@Actor() actor: Principal, @Query() query: ListSuggestionsQueryDto): Promise<Page<SuggestionDto>> {
    return this.suggestions.list(actor, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SuggestionDto })
  get(@Actor() actor: Principal, @UuidParam() id: string): Promise<SuggestionDto> {
    return this.suggestions.get(actor, id);
  }

  @Patch(':id')
  @ApiOkResponse({
    type: SuggestionDto,
    description: 'Author or admin; emits `suggestion:updated` and `suggestion:vote` on change',
  })
  update(@Actor() actor: Principal, @UuidParam() id: string, @Body() dto: UpdateSuggestionDto): Promise<SuggestionDto> {
    return this.suggestions.update(actor, id, dto);
  }

  @Put(':id/vote')
  @ApiOkResponse({ type: VoteResultDto })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION: the suggestion is closed' })
  vote(@Actor() actor: Principal, @UuidParam() id: string, @Body() dto: VoteDto): Promise<VoteResultDto> {
    return this.suggestions.vote(actor, id, dto.value);
  }

  @Delete(':id/vote')
  @HttpCode(200)
  @ApiOkResponse({ type: VoteResultDto })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION: the suggestion is closed' })
  retract(@Actor() actor: Principal, @UuidParam() id: string): Promise<VoteResultDto> {
    return this.suggestions.vote(actor, id, 0);
  }
}
