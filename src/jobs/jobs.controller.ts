import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
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
  ItemScrapedDataDto,
  JobCompletedDataDto,
  JobFailedDataDto,
  JobProgressDataDto,
  JobStartedDataDto,
} from './dto/job-event-data.dto.js';
import {
  CreateJobDto,
  CreateJobEventDto,
  JobDto,
  JobEventAcceptedDto,
  JobEventPageDto,
  JobEventsQueryDto,
  JobListQueryDto,
  JobPageDto,
  WorkerTokenDto,
  type JobEventDto,
} from './dto/job.dto.js';
import { JobsService } from './jobs.service.js';

@ApiTags('jobs')
@Authenticated()
// The `data` of each event type, documented beside the event body.
@ApiExtraModels(JobStartedDataDto, JobProgressDataDto, ItemScrapedDataDto, JobCompletedDataDto, JobFailedDataDto)
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a job (pending)' })
  @ApiCreatedResponse({ type: JobDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  create(@Actor() actor: Principal, @Body() dto: CreateJobDto): Promise<JobDto> {
    return this.jobs.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Own jobs (all jobs for an admin), newest first' })
  @ApiOkResponse({ type: JobPageDto })
  list(@Actor() actor: Principal, @Query() query: JobListQueryDto): Promise<Page<JobDto>> {
    return this.jobs.list(actor, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: JobDto })
  @ApiForbiddenResponse({ description: 'FORBIDDEN: neither the owner nor an admin' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  get(@Actor() actor: Principal, @UuidParam() id: string): Promise<JobDto> {
    return this.jobs.get(actor, id);
  }

  @Post(':id/token')
  @HttpCode(201)
  @ApiOperation({
    summary: 'A worker token for this job',
    description:
      'It may post only this job’s events and join `job:{id}`; it stops working when the job completes or fails.',
  })
  @ApiCreatedResponse({ type: WorkerTokenDto })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION: the job has ended' })
  issueToken(@Actor() actor: Principal, @UuidParam() id: string): Promise<{ token: string }> {
    return this.jobs.issueWorkerToken(actor, id);
  }

  @Post(':id/events')
  @HttpCode(201)
  @Roles('user', 'admin', 'worker')
  @ApiOperation({
    summary: 'Report an event (owner, admin, or the job’s worker token)',
    description: 'Answers once the event is stored; it is then published as `event` on `job:{id}`.',
  })
  @ApiCreatedResponse({ type: JobEventAcceptedDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  @ApiConflictResponse({
    description:
      'INVALID_TRANSITION: the job’s status does not accept this event; LIMIT_EXCEEDED: the job has JOB_MAX_EVENTS events',
  })
  postEvent(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Body() dto: CreateJobEventDto,
  ): Promise<{ seq: number }> {
    return this.jobs.postEvent(actor, id, dto);
  }

  @Get(':id/events')
  @ApiOperation({ summary: 'The job’s events after `afterSeq`, oldest first' })
  @ApiOkResponse({ type: JobEventPageDto })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  history(
    @Actor() actor: Principal,
    @UuidParam() id: string,
    @Query() query: JobEventsQueryDto,
  ): Promise<Page<JobEventDto>> {
    return this.jobs.history(actor, id, query);
  }
}
