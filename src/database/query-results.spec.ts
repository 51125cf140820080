import { QueryFailedError } from 'typeorm';
import { isUniqueViolation, rowsOf } from './query-results.js';

function failed(code: string, constraint?: string): QueryFailedError {
  return new QueryFailedError('INSERT', [], Object.assign(new Error('failed'), { code, constraint }));
}

describe(rowsOf.name, () => {
  it('should answer the rows of an UPDATE answered as [rows, affected]', () => {
    expect(rowsOf([[{ id: 1 }], 1])).toEqual([{ id: 1 }]);
  });

  it('should answer the rows of a SELECT as they are', () => {
    expect(rowsOf([{ id: 1 }, { id: 2 }])).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe(isUniqueViolation.name, () => {
  it('should recognise a unique violation, of any constraint or of the one named', () => {
    expect(isUniqueViolation(failed('23505', 'users_email_key'))).toBe(true);
    expect(isUniqueViolation(failed('23505', 'users_email_key'), 'users_email_key')).toBe(true);
  });

  it('should refuse another constraint, another code and other errors', () => {
    expect(isUniqueViolation(failed('23505', 'users_email_key'), 'other_key')).toBe(false);
    expect(isUniqueViolation(failed('23503', 'users_email_key'))).toBe(false);
    expect(isUniqueViolation(new Error('23505'))).toBe(false);
  });
});
