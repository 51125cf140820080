import { LatestFilter } from './latest-filter.js';

describe(LatestFilter.name, () => {
  it('should let through versions above the last delivered for a key, and drop older or equal ones', () => {
    const sut = new LatestFilter();
    expect([3, 5, 4, 5, 6].map((version) => sut.admit('user:a', 'inbox:c1', version))).toEqual([
      true,
      true,
      false,
      false,
      true,
    ]);
  });

  it('should keep keys and rooms apart, and start a forgotten room afresh', () => {
    const sut = new LatestFilter();
    expect(sut.admit('user:a', 'inbox:c1', 9)).toBe(true);
    expect(sut.admit('user:a', 'inbox:c2', 1)).toBe(true);
    expect(sut.admit('user:b', 'inbox:c1', 1)).toBe(true);
    sut.forgetRoom('user:a');
    expect(sut.admit('user:a', 'inbox:c1', 2)).toBe(true);
    expect(sut.admit('user:b', 'inbox:c1', 1)).toBe(false);
  });
});
