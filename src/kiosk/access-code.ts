// Access codes: 6 characters of A-Z0-9 drawn from the cryptographic source (36^6 ≈ 2.2 billion codes).
import { randomInt } from 'node:crypto';

export const ACCESS_CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const ACCESS_CODE_LENGTH = 6;
export const ACCESS_CODE_PATTERN = /^[A-Z0-9]{6}$/;

export function generateAccessCode(random: (max: number) => number = randomInt): string {
  let code = '';
  for (let i = 0; i < ACCESS_CODE_LENGTH; i += 1) code += ACCESS_CODE_ALPHABET[random(ACCESS_CODE_ALPHABET.length)];
  return code;
}
