import argon2 from 'argon2';

/**
 * OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). The library's default takes 64 MiB per hash, so a burst
 * of registrations or logins would hold hundreds of megabytes. Existing hashes carry their own parameters.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
