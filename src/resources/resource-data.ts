// What a resource's `data` may hold: a JSON object of at most 64 KiB (compact JSON, UTF-8), nested at most
// 128 levels, that Postgres' jsonb accepts (no U+0000 and no unpaired surrogates, in names or strings).
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { isJsonObject, type JsonObject, type JsonValue } from './merge-patch.js';

export const MAX_DATA_BYTES = 64 * 1024;
/** Deep enough for any document; shallow enough for recursive code (merge patch, JSON, jsonb) to be safe. */
export const MAX_DATA_DEPTH = 128;

// eslint-disable-next-line no-control-regex -- U+0000 is exactly what jsonb refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What makes `value` unstorable (too deep, or a string jsonb refuses), with its path; undefined when it is
 * fine. Iterative, so any nesting is inspected without recursion.
 */
export function findDataProblem(value: unknown): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: 'data', depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (UNSTORABLE.test(current)) return `${path} holds U+0000 or an unpaired surrogate, which cannot be stored`;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_DATA_DEPTH) return `${path} is nested deeper than ${MAX_DATA_DEPTH} levels`;
    if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    const object = current as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (UNSTORABLE.test(key)) return `a member name in ${path} holds U+0000 or an unpaired surrogate`;
      stack.push({ value: object[key], path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Throws VALIDATION_FAILED unless `data` is a JSON object that can be stored (whatever its size). */
export function assertStorableJson(data: unknown): asserts data is JsonObject {
  if (!isJsonObject(data)) {
    throw DomainException.validation('data: must be a JSON object', [
      { field: 'data', errors: ['data must be a JSON object'] },
    ]);
  }
  const problem = findDataProblem(data);
  if (problem !== undefined) throw DomainException.validation(problem, [{ field: 'data', errors: [problem] }]);
}

export function serializedSize(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * What may be stored as a resource's data: VALIDATION_FAILED as assertStorableJson, and PAYLOAD_TOO_LARGE
 * when it serializes to more than 64 KiB.
 */
export function assertStorableData(data: unknown): asserts data is JsonObject {
  assertStorableJson(data);
  const bytes = serializedSize(data);
  if (bytes > MAX_DATA_BYTES) {
    throw new DomainException(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `data is ${bytes} bytes as JSON; the limit is ${MAX_DATA_BYTES}`,
      { maxBytes: MAX_DATA_BYTES, bytes },
    );
  }
}
