import { QueryFailedError } from 'typeorm';
import { isPostgresDataError, toErrorBody } from './error-body.js';
import { CreateJobEventDto } from '../jobs/dto/job.dto.js';
import { CreateNotificationsDto } from '../notifications/dto/notifications.dto.js';
import { createValidationPipe, findUnsafeText } from './validation.js';

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

  it('should find a number JSON.parse read as Infinity, which JSON would write as null', () => {
    expect(findUnsafeText(JSON.parse('{"data":{"n":[1,-1e400]}}'), '')).toEqual({
      path: 'data.n.1',
      problem: 'a number out of range',
    });
    expect(findUnsafeText(JSON.parse('{"n":1.7976931348623157e308,"m":-0}'), '')).toBeUndefined();
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

describe(createValidationPipe.name, () => {
  const pipe = createValidationPipe();
  const body = (metatype: new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype });

  it('should pass free-form JSON through as sent, keys named like methods of Object included', async () => {
    // Before: Nest deleted every `constructor` key, class-transformer left out `toString` and threw a TypeError (a 500)
    // on an array's object whose `constructor` is a string. Compared with a second parse: the pipe works in place.
    const data = '{"item":{"constructor":"Mercedes","nested":[{"constructor":"x","toString":"y"}]}}';
    await expect(body(CreateJobEventDto, { type: 'item_scraped', data: JSON.parse(data) })).resolves.toEqual({
      type: 'item_scraped',
      data: JSON.parse(data),
    });
    const notice = `{"userIds":["7f2c1d1e-7a3b-4c41-9d0e-5b1a2c3d4e5f"],"type":"t","title":"T",
      "data":{"valueOf":2,"a":[{"constructor":1}]},"constructor":"dropped"}`;
    const read = (await body(CreateNotificationsDto, JSON.parse(notice))) as Record<string, unknown>;
    expect(read.data).toEqual(JSON.parse(notice).data);
    expect(Object.keys(read)).not.toContain('constructor');
  });

  it('should still validate a field kept as sent, and strip unknown fields beside it', async () => {
    await expect(body(CreateJobEventDto, { type: 'item_scraped', data: 'text' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(body(CreateJobEventDto, { type: 'job_started', data: {}, extra: 1 })).resolves.toEqual({
      type: 'job_started',
      data: {},
    });
  });
});
