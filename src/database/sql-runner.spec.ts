import { sqlStatement } from './sql-runner.js';

describe('sqlStatement', () => {
  it('should answer the name and text, and accept the same declaration twice', () => {
    const first = sqlStatement('spec.same', 'SELECT 1');
    expect(first).toEqual({ name: 'spec.same', text: 'SELECT 1' });
    expect(sqlStatement('spec.same', 'SELECT 1')).toEqual(first);
  });

  it('should refuse a second text under a name already declared', () => {
    sqlStatement('spec.taken', 'SELECT 1');
    expect(() => sqlStatement('spec.taken', 'SELECT 2')).toThrow('SQL statement name "spec.taken" declared twice');
  });
});
