import { DomainException } from './domain.exception.js';
import { ErrorCode } from './error-codes.js';
import { cursorField, decodeCursor, encodeCursor } from './pagination.js';

const UUID = '0b8f2d1e-3c4a-4b5d-8e6f-7a8b9c0d1e2f';
const raw = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function refusal(run: () => unknown): DomainException {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainException) return err;
    throw err;
  }
  throw new Error('Expected a refusal');
}

describe(decodeCursor.name, () => {
  const sut = decodeCursor;

  it('should answer undefined without a cursor', () => {
    expect(sut(undefined, [cursorField.uuid])).toBeUndefined();
  });

  it('should decode what encodeCursor made, typed', () => {
    const cursor = encodeCursor(['2026-11-29 12:00:00.123456+00', UUID]);
    expect(sut(cursor, [cursorField.timestamp, cursorField.uuid])).toEqual(['2026-11-29 12:00:00.123456+00', UUID]);
    expect(
      sut(encodeCursor(['after', 5, null]), [
        cursorField.oneOf('after'),
        cursorField.seq,
        cursorField.nullable(cursorField.seq),
      ]),
    ).toEqual(['after', 5, null]);
  });

  it.each([
    ['not base64url JSON', '%%%'],
    ['another length', raw([UUID])],
    ['a string where a uuid goes', raw(['2026-01-01T00:00:00Z', 'y'])],
    ['a malformed time', raw(['x', UUID])],
    ['a month 13', raw(['2026-13-01T00:00:00Z', UUID])],
    ['an object', raw({ a: 1 })],
  ])('should refuse %s with VALIDATION_FAILED', (_what, cursor) => {
    const err = refusal(() => sut(cursor, [cursorField.timestamp, cursorField.uuid]));
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(err.details).toEqual([{ field: 'cursor', errors: ['cursor is malformed'] }]);
  });

  it('should refuse numbers beyond a Postgres integer and text holding U+0000', () => {
    expect(() => sut(raw([2 ** 31]), [cursorField.seq])).toThrow(DomainException);
    expect(() => sut(raw([-1]), [cursorField.seq])).toThrow(DomainException);
    expect(() => sut(raw(['a\u0000']), [cursorField.text])).toThrow(DomainException);
  });
});
