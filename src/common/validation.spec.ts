import { QueryFailedError } from 'typeorm';
import { isPostgresDataError, toErrorBody } from './error-body.js';
import { findNulCharacter } from './validation.js';

describe(findNulCharacter.name, () => {
  it('should find U+0000 in a value or a key at any depth, and name its path', () => {
    expect(findNulCharacter({ a: [{ b: 'x\u0000' }] }, '')).toBe('a.0.b');
    expect(findNulCharacter({ ok: 1, ['k\u0000']: 1 }, '')).toBe('k\u0000');
    expect(findNulCharacter('\u0000', 'query')).toBe('query');
    expect(findNulCharacter({ a: ['fine', 1, null, true] }, '')).toBeUndefined();
  });

  it('should not walk into objects that are not parsed JSON', () => {
    const cyclic: Record<string, unknown> = new (class Thing {})() as Record<string, unknown>;
    cyclic.self = cyclic;
    expect(findNulCharacter(cyclic, '')).toBeUndefined();
  });
});

describe(toErrorBody.name, () => {
  const dataError = (code: string): QueryFailedError =>
    new QueryFailedError('SELECT 1', [], Object.assign(new Error('invalid input'), { code, severity: 'ERROR' }));

  it.each(['22P02', '22007', '22008', '22021', '22003'])(
    'should answer a Postgres data error %s as 400 VALIDATION_FAILED',
    (code) => {
      expect(isPostgresDataError(dataError(code))).toBe(true);
      expect(toErrorBody(dataError(code))).toEqual({
        body: { statusCode: 400, code: 'VALIDATION_FAILED', message: expect.any(String), details: [] },
        unexpected: false,
      });
    },
  );

  it('should keep other database errors unexpected', () => {
    expect(toErrorBody(dataError('57014')).unexpected).toBe(true);
    expect(isPostgresDataError(Object.assign(new Error('x'), { code: '22P02' }))).toBe(false);
  });
});
