// Reading what the driver answers: the rows of a raw query, and which constraint a failed write broke.
import { QueryFailedError } from 'typeorm';

/**
 * The rows of a query. TypeORM answers an UPDATE or DELETE through `query` with `[rows, affected]` and anything else
 * with the rows alone.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/** Whether a write failed on a unique constraint (Postgres 23505): any, or the one named `constraint`. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const driverError = err.driverError as { code?: string; constraint?: string } | undefined;
  return driverError?.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}
