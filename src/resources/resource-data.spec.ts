import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import type { JsonValue } from './merge-patch.js';
import { assertStorableData, findDataProblem, MAX_DATA_BYTES, MAX_DATA_DEPTH } from './resource-data.js';

function codeOf(run: () => void): ErrorCode | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof DomainException ? err.code : undefined;
  }
  return undefined;
}

/** An object whose compact JSON is exactly `bytes` long: {"s":"xxx…"} is 8 bytes plus the string. */
function objectOfSize(bytes: number): JsonValue {
  return { s: 'x'.repeat(bytes - 8) };
}

describe(assertStorableData.name, () => {
  const sut: (data: unknown) => void = assertStorableData;

  it('should accept an object of exactly 64 KiB and refuse one byte more with PAYLOAD_TOO_LARGE', () => {
    expect(codeOf(() => sut(objectOfSize(MAX_DATA_BYTES)))).toBeUndefined();
    expect(codeOf(() => sut(objectOfSize(MAX_DATA_BYTES + 1)))).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('should count UTF-8 bytes, not characters', () => {
    const euro = { s: '€'.repeat(Math.ceil(MAX_DATA_BYTES / 3)) };
    expect(codeOf(() => sut(euro))).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
  });

  it('should tell the limit and the size in details', () => {
    try {
      sut(objectOfSize(MAX_DATA_BYTES + 10));
      throw new Error('expected a rejection');
    } catch (err) {
      expect((err as DomainException).details).toEqual({ maxBytes: MAX_DATA_BYTES, bytes: MAX_DATA_BYTES + 10 });
    }
  });

  it('should refuse anything but an object with VALIDATION_FAILED', () => {
    for (const value of [null, [], 'x', 1, true, undefined]) {
      expect(codeOf(() => sut(value))).toBe(ErrorCode.VALIDATION_FAILED);
    }
  });

  it('should refuse strings Postgres cannot store in jsonb', () => {
    expect(codeOf(() => sut({ a: 'nul\u0000' }))).toBe(ErrorCode.VALIDATION_FAILED);
    expect(codeOf(() => sut({ ['k\u0000']: 1 }))).toBe(ErrorCode.VALIDATION_FAILED);
    expect(codeOf(() => sut({ a: ['\ud800'] }))).toBe(ErrorCode.VALIDATION_FAILED);
    expect(codeOf(() => sut({ a: { b: 'x\udc00' } }))).toBe(ErrorCode.VALIDATION_FAILED);
    expect(codeOf(() => sut({ a: '😀 ok', b: '\ud83d\ude00' }))).toBeUndefined();
  });
});

/** `levels` nested objects: {"a":{"a":…1}}. */
function nested(levels: number): JsonValue {
  let value: JsonValue = 1;
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

describe(findDataProblem.name, () => {
  const sut = findDataProblem;

  it('should name the path of the first unstorable string', () => {
    expect(sut({ a: { b: [1, 'ok', 'bad\u0000'] } })).toMatch(/^data\.a\.b\[2\] holds U\+0000/);
    expect(sut({ a: 1, b: [null, true, 'fine', { c: 'x' }] })).toBeUndefined();
  });

  it('should allow 128 levels of nesting and refuse 129', () => {
    expect(sut(nested(MAX_DATA_DEPTH))).toBeUndefined();
    expect(sut(nested(MAX_DATA_DEPTH + 1))).toMatch(/nested deeper than 128 levels/);
  });

  it('should inspect nesting far beyond the call stack without overflowing', () => {
    let deep: JsonValue = [];
    for (let i = 0; i < 200_000; i += 1) deep = [deep];
    expect(sut({ deep })).toMatch(/nested deeper/);
  });
});
