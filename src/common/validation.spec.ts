import { QueryFailedError } from 'typeorm';
import { isPostgresDataError, toErrorBody } from './error-body.js';
import { findUnsafeText } from './validation.js';

describe(findUnsafeText.name, () => {
  it('should find U+0000 in a value or a key at any depth, and name its path', () => {
    const nul = 'the character U+0000';
    expect(findUnsafeText({ a: [{ b: 'x\u0000' }] }, '')).toEqual({ path: 'a.0.b', problem: nul });
    expect(findUnsafeText({ ok: 1, ['k\u0000']: 1 }, '')).toEqual({ path: 'k\u0000', problem: nul });
    expect(findUnsafeText('\u0000', 'query')).toEqual({ path: 'query', problem: nul });
    expect(findUnsafeText({ a: ['fine', 1, null, true] }, '')).toBeUndefined();
  });

  it('should find unpaired surrogates and let paired ones through', () => {
    const lone = 'an unpaired surrogate';
    expect(findUnsafeText({ email: 'a\udfffb' }, '')).toEqual({ path: 'email', problem: lone });
    expect(findUnsafeText(['x\ud800'], 'body')).toEqual({ path: 'body.0', problem: lone });
    expect(findUnsafeText({ ['\udc00']: 1 }, '')).toEqual({ path: '\udc00', problem: lone });
    expect(findUnsafeText({ emoji: 'ok \ud83d\ude00 ok', accents: 'déjà' }, '')).toBeUndefined();
  });

  it('should not walk into objects that are not parsed JSON', () => {
    const cyclic: Record<string, unknown> = new (class Thing {})() as Record<string, unknown>;
    cyclic.self = cyclic;
    expect(findUnsafeText(cyclic, '')).toBeUndefined();
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
