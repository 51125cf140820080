// Password hashing with argon2id through @node-rs/argon2: a prebuilt binary per platform, so installing never
// compiles. It reads and writes the same PHC strings as the `argon2` package used before, so stored hashes verify.
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** `Algorithm.Argon2id`; the enum is a `const enum`, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

/**
 * OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane), so a burst of registrations or logins does not hold
 * hundreds of megabytes. Existing hashes carry their own parameters.
 */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}
