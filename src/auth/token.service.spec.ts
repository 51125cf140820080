// Token verification with the verified tokens remembered: a token verified once is not decoded and checked again by
// jsonwebtoken, but its expiry still is at each use, and any other string is verified in full.
import { JwtService } from '@nestjs/jwt';
import type { DataSource } from 'typeorm';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import type { AppConfig } from '../config/app-config.js';
import type { AppSecretsRepository } from './app-secrets.repository.js';
import { TokenService } from './token.service.js';

const { jest } = import.meta;

const subject = { id: '3f0c7c1e-1111-4222-8333-944445555666', role: 'user' as const, tokenVersion: 2 };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (err instanceof DomainException ? err.code : String(err)),
  );
}

describe(TokenService.name, () => {
  let sut: TokenService;
  let verifications: ReturnType<typeof jest.spyOn>;

  beforeEach(async () => {
    const config = { jwt: { secret: 's'.repeat(48), expiresInSeconds: 60, sessionMaxAgeSeconds: 3600 } } as AppConfig;
    sut = new TokenService(config, {} as DataSource, {} as AppSecretsRepository);
    await sut.onModuleInit();
    verifications = jest.spyOn(JwtService.prototype, 'verifyAsync');
  });
  afterEach(() => jest.restoreAllMocks());

  it('should verify a token in full once, then answer its claims from memory', async () => {
    const { token } = await sut.sign(subject);
    const first = await sut.verify(token);
    const again = await sut.verify(token);
    expect(first).toMatchObject({ sub: subject.id, role: 'user', tv: 2 });
    expect(again).toEqual(first);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('should refuse a remembered token once its expiry second has come', async () => {
    const { token, expiresAt } = await sut.sign(subject);
    await sut.verify(token);
    jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime() - 1);
    // Still within its last second: jsonwebtoken accepts it too.
    expect(await codeOf(sut.verify(token))).toBeUndefined();
    jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime());
    expect(await codeOf(sut.verify(token))).toBe(ErrorCode.TOKEN_EXPIRED);
    expect(await codeOf(sut.verify(token))).toBe(ErrorCode.TOKEN_EXPIRED);
  });

  it('should verify in full a string that differs from a remembered token, and refuse a forged one', async () => {
    const { token } = await sut.sign(subject);
    await sut.verify(token);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const raised = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expect(await codeOf(sut.verify(`${header}.${raised}.${signature}`))).toBe(ErrorCode.UNAUTHORIZED);
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    expect(await codeOf(sut.verify(`${header}.${payload}.${flipped}`))).toBe(ErrorCode.UNAUTHORIZED);
    expect(verifications).toHaveBeenCalledTimes(3);
  });
});
