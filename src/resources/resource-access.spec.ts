import type { Caller } from './resource-access.js';
import { assertCanRead, assertCanWrite, canRead, canWrite, readersAfter, withdrawsReaders } from './resource-access.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';

const OWNER = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

const owner: Caller = { id: OWNER, role: 'user' };
const other: Caller = { id: OTHER, role: 'user' };
const admin: Caller = { id: OTHER, role: 'admin' };
const kiosk: Caller = { id: OWNER, role: 'kiosk' };
const worker: Caller = { id: OWNER, role: 'worker' };

const publicResource = { ownerId: OWNER, visibility: 'public' as const };
const privateResource = { ownerId: OWNER, visibility: 'private' as const };

function codeOf(run: () => void): ErrorCode | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof DomainException ? err.code : undefined;
  }
  return undefined;
}

describe(canRead.name, () => {
  const sut = canRead;

  it('should let every user read a public resource', () => {
    expect([owner, other, admin].map((c) => sut(c, publicResource))).toEqual([true, true, true]);
  });

  it('should let only the owner and admins read a private resource', () => {
    expect(sut(owner, privateResource)).toBe(true);
    expect(sut(admin, privateResource)).toBe(true);
    expect(sut(other, privateResource)).toBe(false);
  });

  it('should refuse kiosk and worker principals, even one whose id equals the owner', () => {
    for (const caller of [kiosk, worker]) {
      expect(sut(caller, publicResource)).toBe(false);
      expect(sut(caller, privateResource)).toBe(false);
    }
  });
});

describe(canWrite.name, () => {
  const sut = canWrite;

  it('should let the owner and admins write whatever the visibility', () => {
    for (const resource of [publicResource, privateResource]) {
      expect(sut(owner, resource)).toBe(true);
      expect(sut(admin, resource)).toBe(true);
    }
  });

  it('should refuse other users, even on a public resource', () => {
    expect(sut(other, publicResource)).toBe(false);
    expect(sut(other, privateResource)).toBe(false);
  });

  it('should refuse kiosk and worker principals', () => {
    expect(sut(kiosk, publicResource)).toBe(false);
    expect(sut(worker, privateResource)).toBe(false);
  });
});

describe(assertCanRead.name, () => {
  it('should throw FORBIDDEN for a reader without access and nothing otherwise', () => {
    expect(codeOf(() => assertCanRead(other, privateResource))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(() => assertCanRead(other, publicResource))).toBeUndefined();
  });
});

describe(assertCanWrite.name, () => {
  it('should throw FORBIDDEN for a writer without access and nothing otherwise', () => {
    expect(codeOf(() => assertCanWrite(other, publicResource))).toBe(ErrorCode.FORBIDDEN);
    expect(codeOf(() => assertCanWrite(admin, privateResource))).toBeUndefined();
  });
});

describe(withdrawsReaders.name, () => {
  it('should be true only from public to private', () => {
    expect(withdrawsReaders('public', 'private')).toBe(true);
    expect(withdrawsReaders('private', 'private')).toBe(false);
    expect(withdrawsReaders('private', 'public')).toBe(false);
    expect(withdrawsReaders('public', 'public')).toBe(false);
  });
});

describe(readersAfter.name, () => {
  it('should keep the owner and admins of a resource made private, and no one else', () => {
    const sut = readersAfter(privateResource);
    expect([owner, admin, other, kiosk].map(sut)).toEqual([true, true, false, false]);
  });
});
