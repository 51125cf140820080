// The `data` of each event type, validated after the type is known (the body DTO cannot pick a class by `type`).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsInt, IsObject, IsString, Max, MaxLength, Min, MinLength, validateSync } from 'class-validator';
import { DomainException } from '../../common/domain.exception.js';
import { AsSent, flattenValidationErrors, IfPresent, plainToDto } from '../../common/validation.js';
import { type JobEventInput, type JobEventType, MAX_COUNT } from '../job-state.js';

export class JobStartedDataDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  totalPages?: number;
}

export class JobProgressDataDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  itemsScraped?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  pagesScraped?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  currentPage?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_COUNT)
  totalPages?: number;
}

export class ItemScrapedDataDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The scraped item (an object)' })
  @IsObject()
  @AsSent()
  item: Record<string, unknown>;
}

export class JobCompletedDataDto {
  @ApiPropertyOptional({ description: 'Any JSON value' })
  @Allow()
  @AsSent()
  summary?: unknown;
}

export class JobFailedDataDto {
  @ApiProperty({ minLength: 1, maxLength: 2000 })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  error: string;
}

const DATA_CLASSES: Record<JobEventType, new () => object> = {
  job_started: JobStartedDataDto,
  job_progress: JobProgressDataDto,
  item_scraped: ItemScrapedDataDto,
  job_completed: JobCompletedDataDto,
  job_failed: JobFailedDataDto,
};

// A NUL character or an unpaired surrogate survives JSON.parse but not Postgres' jsonb/text; JSON.stringify writes
// both as \u escapes (preceded by an even run of backslashes when they are real escapes).
const UNSTORABLE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** True when the value holds text Postgres refuses to store (NUL, unpaired surrogates). */
export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000') || UNSTORABLE.test(JSON.stringify(value));
  return value !== undefined && UNSTORABLE.test(JSON.stringify(value));
}

/** Validates `data` for `type`: VALIDATION_FAILED with `data.<field>` details, unknown fields dropped. */
export function parseEventData(type: JobEventType, data: Record<string, unknown> | undefined): JobEventInput {
  const instance = plainToDto(DATA_CLASSES[type], data ?? {});
  const errors = validateSync(instance, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const details = flattenValidationErrors(errors, 'data');
    throw DomainException.validation(details.map((d) => `${d.field}: ${d.errors.join(', ')}`).join('; '), details);
  }
  const clean = Object.fromEntries(Object.entries(instance).filter(([, value]) => value !== undefined));
  if (hasUnstorableText(clean)) {
    throw DomainException.validation('data: contains a NUL character or an unpaired surrogate', [
      { field: 'data', errors: ['data must not contain NUL characters or unpaired surrogates'] },
    ]);
  }
  return { type, data: clean } as JobEventInput;
}
