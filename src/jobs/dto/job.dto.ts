import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  NotContains,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import { AsSent } from '../../common/validation.js';
import { JOB_EVENT_TYPES, JOB_STATUSES, type JobEventType, type JobStatus, MAX_COUNT } from '../job-state.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateJobDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Scrape example.com catalogue' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @NotContains('\u0000', { message: 'name must not contain NUL characters' })
  name: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Pages the job expects to scrape, when known' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  totalPages?: number;
}

export class JobListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;
}

export class JobEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Answer the events after this seq (default 0: from the first)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  afterSeq?: number;
}

export class CreateJobEventDto {
  @ApiProperty({ enum: JOB_EVENT_TYPES })
  @IsIn(JOB_EVENT_TYPES)
  type: JobEventType;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'Per type: job_started `{totalPages?}`; job_progress `{itemsScraped?, pagesScraped?, currentPage?, totalPages?}` ' +
      '(non-negative integers); item_scraped `{item}` (an object); job_completed `{summary?}`; job_failed `{error}` (1..2000)',
  })
  @IsOptional()
  @IsObject()
  @AsSent()
  data?: Record<string, unknown>;
}

export class JobProgressDto {
  @ApiProperty() itemsScraped: number;
  @ApiProperty() pagesScraped: number;
  @ApiProperty() currentPage: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null until known' }) totalPages: number | null;
  @ApiProperty({ description: 'Whole seconds since the job started (until it finished); 0 before it starts' })
  elapsedTime: number;
}

export class JobDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: JOB_STATUSES }) status: JobStatus;
  @ApiProperty({ type: JobProgressDto }) progress: JobProgressDto;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
}

export class JobPageDto {
  @ApiProperty({ type: [JobDto] }) items: JobDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class JobEventDto {
  @ApiProperty({ enum: JOB_EVENT_TYPES }) type: JobEventType;
  @ApiProperty({ format: 'uuid' }) jobId: string;
  @ApiProperty({ description: 'Grows by one per event of the job, from 1' }) seq: number;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
}

export class JobEventPageDto {
  @ApiProperty({ type: [JobEventDto] }) items: JobEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class JobEventAcceptedDto {
  @ApiProperty() seq: number;
}

export class WorkerTokenDto {
  @ApiProperty({ description: 'A worker JWT for this job; it stops working when the job ends' }) token: string;
}
