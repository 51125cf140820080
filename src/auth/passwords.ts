// Password hashing with argon2id through @node-rs/argon2: a prebuilt binary per platform, so installing never
// compiles. It reads and writes the same PHC strings as the `argon2` package used before, so stored hashes verify.
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { OWASP_PASSWORD_COST } from '../config/environment.js';

/** `Algorithm.Argon2id`; the enum is a `const enum`, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

/** The cost of a new hash: memory in KiB and passes (argon2id, one lane). Existing hashes carry their own. */
export interface PasswordCost {
  memoryKib: number;
  passes: number;
}

/** A new hash at `cost`, OWASP's baseline by default (the configuration's PASSWORD_HASH_* pass another). */
export function hashPassword(password: string, cost: PasswordCost = OWASP_PASSWORD_COST): Promise<string> {
  return hash(password, { algorithm: ARGON2ID, memoryCost: cost.memoryKib, timeCost: cost.passes, parallelism: 1 });
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/**
 * Whether a stored hash was made otherwise than a new one would be at `cost` (another algorithm, memory, passes or
 * lanes): re-made at the account's next successful login, so that an old cost neither stays weaker than the
 * configuration asks nor tells its accounts apart by the time a login takes (unknown emails are checked against a
 * decoy at the current cost).
 */
export function needsRehash(hashed: string, cost: PasswordCost): boolean {
  const [, algorithm, version, list = ''] = hashed.split('$');
  // The parameters in any order: the `argon2` package used before wrote `m=…,p=…,t=…`.
  const params = new Map(list.split(',').map((pair) => pair.split('=') as [string, string]));
  return (
    algorithm !== 'argon2id' ||
    version !== 'v=19' ||
    params.get('m') !== String(cost.memoryKib) ||
    params.get('t') !== String(cost.passes) ||
    params.get('p') !== '1'
  );
}
