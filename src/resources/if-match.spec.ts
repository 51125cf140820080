import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { ifMatchAccepts, parseIfMatch } from './if-match.js';

describe(parseIfMatch.name, () => {
  const sut = parseIfMatch;

  it('should read a bare version, a quoted one and a weak one alike', () => {
    expect(sut('3')).toEqual([3]);
    expect(sut('"3"')).toEqual([3]);
    expect(sut('W/"3"')).toEqual([3]);
    expect(sut('  "12" ')).toEqual([12]);
  });

  it('should read a list, and * as any version', () => {
    expect(sut('"1", 2, W/"3"')).toEqual([1, 2, 3]);
    expect(sut('*')).toBe('any');
  });

  it('should answer undefined when the header is absent', () => {
    expect(sut(undefined)).toBeUndefined();
  });

  it.each(['', 'abc', '"3', '3"', "'3'", '-1', '1.5', 'W/3', 'w/"3"', '"3",', '* , 1', '"a"', '1234567890123456'])(
    'should refuse %j with VALIDATION_FAILED',
    (header) => {
      let error: unknown;
      try {
        sut(header);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DomainException);
      expect((error as DomainException).code).toBe(ErrorCode.VALIDATION_FAILED);
    },
  );
});

describe(ifMatchAccepts.name, () => {
  const sut = ifMatchAccepts;

  it('should accept no condition and * whatever the version', () => {
    expect(sut(undefined, 7)).toBe(true);
    expect(sut('any', 7)).toBe(true);
  });

  it('should accept only the current version', () => {
    expect(sut([7], 7)).toBe(true);
    expect(sut([6], 7)).toBe(false);
    expect(sut([5, 7], 7)).toBe(true);
  });
});
