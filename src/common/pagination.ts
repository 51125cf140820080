// The one pagination helper: `?limit=&cursor=` in, `{items, nextCursor}` out, cursors opaque (base64url JSON).
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DomainException } from './domain.exception.js';
import { UUID_PATTERN } from './uuid-param.js';

export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type CursorValue = string | number | null;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** Checks one position of a cursor: answers whether the value is what the list put there. */
export type CursorField<T> = (value: unknown) => value is T;

const INT4_MAX = 2_147_483_647;
/** What `timestamptz::text` and `Date.toISOString()` write (UTC, or an offset), with microseconds at most. */
const TIMESTAMP =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;

/** The kinds of values the lists put in their cursors. */
export const cursorField = {
  uuid: ((v) => typeof v === 'string' && UUID_PATTERN.test(v)) as CursorField<string>,
  timestamp: ((v) => typeof v === 'string' && TIMESTAMP.test(v)) as CursorField<string>,
  /** A Postgres `integer` (a seq, a score). */
  int: ((v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= INT4_MAX) as CursorField<number>,
  /** A non-negative `integer` (a seq). */
  seq: ((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= INT4_MAX) as CursorField<number>,
  /** Free text (a lower-cased display name), as long as a cursor may be. */
  text: ((v) => typeof v === 'string' && v.length <= 512 && !v.includes('\u0000')) as CursorField<string>,
  oneOf<const T extends string>(...values: T[]): CursorField<T> {
    return (v): v is T => typeof v === 'string' && (values as string[]).includes(v);
  },
  nullable<T>(field: CursorField<T>): CursorField<T | null> {
    return (v): v is T | null => v === null || field(v);
  },
};

type Decoded<F extends readonly CursorField<unknown>[]> = {
  [K in keyof F]: F[K] extends CursorField<infer T> ? T : never;
};

/** VALIDATION_FAILED on `cursor`: for a list's own checks of what decodeCursor answered (the same error). */
export const malformedCursor = (): DomainException =>
  DomainException.validation('cursor: malformed', [{ field: 'cursor', errors: ['cursor is malformed'] }]);

/**
 * The one cursor decoder: a cursor made by encodeCursor for a list whose positions hold `fields`, typed. Anything
 * the list could not have issued (other JSON, another length, a value of another kind) is VALIDATION_FAILED, so
 * no cursor value ever reaches the database unchecked.
 */
export function decodeCursor<const F extends readonly CursorField<unknown>[]>(
  cursor: string | undefined,
  fields: F,
): Decoded<F> | undefined {
  if (cursor === undefined) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformedCursor();
  }
  if (!Array.isArray(values) || values.length !== fields.length || !fields.every((check, i) => check(values[i]))) {
    throw malformedCursor();
  }
  return values as Decoded<F>;
}

export function pageLimit(query: PageQueryDto): number {
  return query.limit ?? 20;
}

/**
 * Given `limit + 1` rows fetched in order, returns the page and a cursor built from the last item kept.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  cursorOf: (row: R) => CursorValue[],
  map: (row: R) => T,
): Page<T> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  return {
    items: kept.map(map),
    nextCursor: hasMore && kept.length > 0 ? encodeCursor(cursorOf(kept[kept.length - 1])) : null,
  };
}
