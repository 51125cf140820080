import { ACCESS_CODE_ALPHABET, ACCESS_CODE_PATTERN, generateAccessCode } from './access-code.js';

describe(generateAccessCode.name, () => {
  it('should draw 6 characters of A-Z0-9', () => {
    for (let i = 0; i < 200; i += 1) expect(generateAccessCode()).toMatch(ACCESS_CODE_PATTERN);
  });

  it('should take each character from the random source over the whole alphabet', () => {
    const draws = [0, 25, 26, 35, 1, 2];
    const asked: number[] = [];
    const sut = generateAccessCode((max) => {
      asked.push(max);
      return draws.shift()!;
    });
    expect(sut).toBe('AZ09BC');
    expect(asked).toEqual(Array(6).fill(ACCESS_CODE_ALPHABET.length));
  });
});
