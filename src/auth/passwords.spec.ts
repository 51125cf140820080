import { hashPassword, needsRehash, verifyPassword } from './passwords.js';

/**
 * Made by the `argon2` package (0.45.1) this server used before, with its options of then
 * (argon2id, m=19456, t=2, p=1), for the password below. Accounts registered before the switch hold such strings.
 */
const LEGACY_ARGON2_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$TDO8C8Ap4JmCXusBOOyIXA$2rrYx5D0nE3kiulurL1cfojlWbcba8bKIQNr3tbM4Dc';
const LEGACY_PASSWORD = 'correct horse battery staple';

describe('passwords', () => {
  it('should verify a hash made by the argon2 package used before', async () => {
    await expect(verifyPassword(LEGACY_ARGON2_HASH, LEGACY_PASSWORD)).resolves.toBe(true);
    await expect(verifyPassword(LEGACY_ARGON2_HASH, 'correct horse battery stapler')).resolves.toBe(false);
  });

  it('should write argon2id PHC strings with the OWASP baseline parameters', async () => {
    const hashed = await hashPassword('a new password');
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    await expect(verifyPassword(hashed, 'a new password')).resolves.toBe(true);
    await expect(verifyPassword(hashed, 'another password')).resolves.toBe(false);
  });

  it('should write the cost it is given', async () => {
    const hashed = await hashPassword('a new password', { memoryKib: 1024, passes: 1 });
    expect(hashed).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await expect(verifyPassword(hashed, 'a new password')).resolves.toBe(true);
  });

  it('should tell a hash made at another cost from one made at this cost, whatever the order of its parameters', async () => {
    const cost = { memoryKib: 1024, passes: 1 };
    expect(needsRehash(await hashPassword('a password', cost), cost)).toBe(false);
    expect(needsRehash(await hashPassword('a password', { memoryKib: 2048, passes: 1 }), cost)).toBe(true);
    expect(needsRehash(await hashPassword('a password', { memoryKib: 1024, passes: 2 }), cost)).toBe(true);
    expect(needsRehash(LEGACY_ARGON2_HASH, { memoryKib: 19456, passes: 2 })).toBe(false);
    expect(needsRehash(LEGACY_ARGON2_HASH, cost)).toBe(true);
    expect(needsRehash('$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', cost)).toBe(true);
    expect(needsRehash('not a hash', cost)).toBe(true);
  });

  it('should answer false, not throw, for a string that is not a PHC hash', async () => {
    await expect(verifyPassword('not a hash', 'whatever')).resolves.toBe(false);
  });
});
