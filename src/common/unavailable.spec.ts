import { QueryFailedError } from 'typeorm';
import { toErrorBody } from './error-body.js';
import { isDependencyUnavailable } from './unavailable.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe(isDependencyUnavailable.name, () => {
  it.each([
    [
      'ioredis giving up on a command',
      Object.assign(new Error('Reached the max retries'), { name: 'MaxRetriesPerRequestError' }),
    ],
    ['ioredis on a closed connection', new Error('Connection is closed.')],
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['Postgres shutting down', new QueryFailedError('SELECT 1', [], withCode('terminating connection', '57P01'))],
    ['Postgres starting up', withCode('the database system is starting up', '57P03')],
    [
      'a broken Postgres connection',
      new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')),
    ],
    ['the pool timing out', new Error('timeout exceeded when trying to connect')],
  ])('should tell %s', (_, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('duplicate key', '23505'))],
    ['a thrown string', 'ECONNREFUSED'],
  ])('should not take %s for an outage', (_, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });

  it('should make the error body a 503 SERVICE_UNAVAILABLE that is not logged as a bug', () => {
    const { body, unexpected, unavailable } = toErrorBody(new Error('Connection is closed.'));
    expect(body).toEqual({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'A service this request needs is unavailable',
    });
    expect([unexpected, unavailable]).toEqual([false, true]);
  });
});
