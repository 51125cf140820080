import { Controller, Delete, Get, Headers, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, Authenticated } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { PageQueryDto } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import { CreateResourceDto, ResourceDto, ResourcePageDto, UpdateResourceDto } from './dto/resource.dto.js';
import { parseIfMatch } from './if-match.js';
import { ResourceBody } from './resource-body.js';
import { ResourcesService } from './resources.service.js';

const IF_MATCH_HEADER = {
  name: 'If-Match',
  required: false,
  description:
    'The version the change is based on: `3`, `"3"` or `W/"3"` (a list or `*` also works). ' +
    'A stale one answers 409 VERSION_CONFLICT with `details.currentVersion`.',
};

/** The version is the entity tag, so clients can echo it in If-Match. */
function tag(res: Response, resource: ResourceDto): ResourceDto {
  res.setHeader('ETag', `"${resource.version}"`);
  return resource;
}

@ApiTags('resources')
@Authenticated()
@Controller('resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  @Post()
  @ApiBody({ type: CreateResourceDto })
  @ApiCreatedResponse({ type: ResourceDto, description: 'Version 1' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiPayloadTooLargeResponse({ description: 'PAYLOAD_TOO_LARGE: data over 64 KiB as JSON' })
  async create(
    @Actor() actor: Principal,
    @ResourceBody(CreateResourceDto) dto: CreateResourceDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ResourceDto> {
    return tag(res, await this.resources.create(actor, dto));
  }

  @Get()
  @ApiOkResponse({
    type: ResourcePageDto,
    description: 'Public resources, the caller’s own, and every one for admins; most recently updated first',
  })
  list(@Actor() actor: Principal, @Query() page: PageQueryDto): Promise<ResourcePageDto> {
    return this.resources.list(actor, page);
  }

  @Get(':id')
  @ApiOkResponse({ type: ResourceDto })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: private, and the caller is neither its owner nor an admin' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  async get(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ResourceDto> {
    return tag(res, await this.resources.get(actor, id));
  }

  @Patch(':id')
  @ApiConsumes('application/json', 'application/merge-patch+json')
  @ApiBody({ type: UpdateResourceDto })
  @ApiHeader(IF_MATCH_HEADER)
  @ApiOkResponse({ type: ResourceDto, description: 'The new version' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, also for an empty body or a malformed If-Match' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: neither the owner nor an admin' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  @ApiConflictResponse({ description: 'VERSION_CONFLICT with `details: {currentVersion}`' })
  @ApiPayloadTooLargeResponse({ description: 'PAYLOAD_TOO_LARGE: the patched data would exceed 64 KiB' })
  async update(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @ResourceBody(UpdateResourceDto) dto: UpdateResourceDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ResourceDto> {
    return tag(res, await this.resources.update(actor, id, dto, parseIfMatch(ifMatch)));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiHeader(IF_MATCH_HEADER)
  @ApiNoContentResponse({ description: 'Deleted; `resource:deleted` is published and the channel emptied' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: neither the owner nor an admin' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  @ApiConflictResponse({ description: 'VERSION_CONFLICT with `details: {currentVersion}`' })
  remove(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    return this.resources.remove(actor, id, parseIfMatch(ifMatch));
  }
}
