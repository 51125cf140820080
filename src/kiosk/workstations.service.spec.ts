import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { TokenService } from '../auth/token.service.js';
import type { AppConfig } from '../config/app-config.js';
import type { ChannelRegistry } from '../realtime/channel-registry.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { KioskEvents } from './kiosk-events.js';
import type { WorkstationAccessCache } from './workstation-access.cache.js';
import type { WorkstationsRepository } from './workstations.repository.js';
import { WorkstationsService } from './workstations.service.js';

const workstationId = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';

function rotateWith(invalidate: () => Promise<void>, row: { token_version: number } | null = { token_version: 7 }) {
  const repository = { rotateToken: jest.fn(async () => row ?? undefined) };
  const tokens = { sign: jest.fn(async () => ({ token: 'new-token', expiresAt: new Date() })) };
  const access = { invalidate: jest.fn(invalidate) };
  const publisher = { disconnectRoom: jest.fn() };
  const sut = new WorkstationsService(
    { manager: {} } as unknown as DataSource,
    repository as unknown as WorkstationsRepository,
    {} as AppConfig,
    tokens as unknown as TokenService,
    access as unknown as WorkstationAccessCache,
    {} as ChannelRegistry,
    publisher as unknown as RealtimePublisher,
    {} as KioskEvents,
  );
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return { sut, repository, tokens, access, publisher, warn };
}

describe(`${WorkstationsService.name} rotateToken`, () => {
  afterEach(() => jest.restoreAllMocks());

  it('should tell every instance, close the old sockets, then answer a token of the new version', async () => {
    const order: string[] = [];
    const { sut, access, publisher, tokens } = rotateWith(async () => void order.push('invalidate'));
    publisher.disconnectRoom.mockImplementation(() => void order.push('disconnect'));
    await expect(sut.rotateToken(workstationId)).resolves.toEqual({ token: 'new-token' });
    expect(access.invalidate).toHaveBeenCalledWith(workstationId);
    expect(publisher.disconnectRoom).toHaveBeenCalledWith(`principal:workstation:${workstationId}`);
    expect(order).toEqual(['invalidate', 'disconnect']);
    expect(tokens.sign).toHaveBeenCalledWith({ id: workstationId, role: 'kiosk', tokenVersion: 7 }, expect.any(Number));
  });

  // The new version has committed: the old tokens are revoked. Answering 503 would leave the admin with neither the
  // old token (revoked) nor the new one; the other instances follow within their cache's age limit.
  it('should answer the new token when the other instances cannot be told (Redis unreachable)', async () => {
    const outage = Object.assign(new Error('Reached the max retries'), { name: 'MaxRetriesPerRequestError' });
    const { sut, publisher, warn } = rotateWith(() => Promise.reject(outage));
    await expect(sut.rotateToken(workstationId)).resolves.toEqual({ token: 'new-token' });
    expect(publisher.disconnectRoom).toHaveBeenCalledWith(`principal:workstation:${workstationId}`);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ workstationId, err: 'Reached the max retries' }),
      expect.any(String),
    );
  });

  it('should answer 404 and tell nobody for an unknown workstation', async () => {
    const { sut, access, publisher, tokens } = rotateWith(async () => undefined, null);
    await expect(sut.rotateToken(workstationId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(access.invalidate).not.toHaveBeenCalled();
    expect(publisher.disconnectRoom).not.toHaveBeenCalled();
    expect(tokens.sign).not.toHaveBeenCalled();
  });
});
