import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { ChannelRegistry } from '../realtime/channel-registry.js';
import type { ChannelService } from '../realtime/channel.service.js';
import type { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { Resource } from './resource.entity.js';
import type { ResourceFields, ResourcesRepository } from './resources.repository.js';
import { ResourcesService } from './resources.service.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const ID = '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const OWNER = '11111111-1111-4111-8111-111111111111';
const owner: Principal = { id: OWNER, role: 'user', tokenVersion: 0, expiresAt: Date.now() + 60_000 };
const stranger: Principal = { ...owner, id: '22222222-2222-4222-8222-222222222222' };

function row(overrides: Partial<Resource> = {}): Resource {
  return {
    id: ID,
    ownerId: OWNER,
    name: 'Board',
    visibility: 'public',
    data: { a: 1 },
    version: 3,
    updatedBy: OWNER,
    updatedAt: new Date('2030-01-01T00:00:00.000Z'),
    createdAt: new Date('2030-01-01T00:00:00.000Z'),
    ...overrides,
  };
}

/**
 * The service on a stub repository whose locks answer `current` and whose write answers what it was given, inside
 * the real UnitOfWork over a stand-in transaction that records its begin and commit (the SQL itself is tested on a
 * real database in resources.repository.spec.ts).
 */
function fakeDatabase(current: Resource | null) {
  const calls: string[] = [];
  const repository = {
    lockForRead: jest.fn(async () => current && { ...current }),
    lockForWrite: jest.fn(async () => current && { ...current }),
    update: jest.fn(async (_m: EntityManager, _id: string, fields: ResourceFields) => {
      calls.push('write');
      return { ...current!, ...fields, updatedAt: new Date('2030-01-01T00:00:01.000Z') };
    }),
    delete: jest.fn(async () => {
      calls.push('delete');
    }),
  };
  const dataSource = {
    transaction: jest.fn(async (work: (m: EntityManager) => Promise<unknown>) => {
      calls.push('begin');
      const result = await work({} as EntityManager);
      calls.push('commit');
      return result;
    }),
  };
  return { calls, repository, dataSource: dataSource as unknown as DataSource };
}

describe(ResourcesService.name, () => {
  let sut: ResourcesService;
  let calls: string[];
  let publisher: { publish: jest.Mock };
  let channels: { evictUnauthorized: jest.Mock };

  beforeAll(() => Logger.overrideLogger(false)); // the failure paths log errors on purpose

  function build(current: Resource | null): void {
    const db = fakeDatabase(current);
    calls = db.calls;
    publisher = { publish: jest.fn((_c: string, event: string) => calls.push(`publish ${event}`)) };
    channels = {
      evictUnauthorized: jest.fn(async () => {
        calls.push('evict');
        return 1;
      }),
    };
    sut = new ResourcesService(
      db.dataSource,
      new UnitOfWork(db.dataSource),
      db.repository as unknown as ResourcesRepository,
      publisher as unknown as RealtimePublisher,
      channels as unknown as ChannelService,
      { register: jest.fn() } as unknown as ChannelRegistry,
    );
  }

  async function codeOf(run: () => Promise<unknown>): Promise<ErrorCode | undefined> {
    try {
      await run();
    } catch (err) {
      return err instanceof DomainException ? err.code : undefined;
    }
    return undefined;
  }

  describe('update', () => {
    it('should merge the patch, bump the version and publish once, ordered by version', async () => {
      build(row());
      const result = await sut.update(owner, ID, { data: { a: null, b: 2 } }, undefined);
      expect(result).toMatchObject({ version: 4, data: { b: 2 }, updatedBy: OWNER });
      expect(publisher.publish).toHaveBeenCalledTimes(1);
      expect(publisher.publish).toHaveBeenCalledWith(
        `resource:updates:${ID}`,
        'resource:update',
        {
          resourceId: ID,
          version: 4,
          changes: { data: { a: null, b: 2 } },
          resource: result,
          updatedBy: OWNER,
          updatedAt: '2030-01-01T00:00:01.000Z',
        },
        // Event 3 of the stream: version 1 (creation) is not an event of it.
        { order: { key: `resource:${ID}`, seq: 3 } },
      );
      expect(channels.evictUnauthorized).not.toHaveBeenCalled();
    });

    it('should evict under the lock and again after commit, both before publishing, when made private', async () => {
      build(row());
      await sut.update(owner, ID, { visibility: 'private' }, undefined);
      expect(calls).toEqual(['begin', 'write', 'evict', 'commit', 'evict', 'publish resource:update']);
      const [channel, stillAllowed] = channels.evictUnauthorized.mock.calls[0] as [string, (p: Principal) => boolean];
      expect(channel).toBe(`resource:updates:${ID}`);
      expect(stillAllowed(owner)).toBe(true);
      expect(stillAllowed({ ...stranger, role: 'admin' })).toBe(true);
      expect(stillAllowed(stranger)).toBe(false);
    });

    it('should not evict when the resource was private already or becomes public', async () => {
      build(row({ visibility: 'private' }));
      await sut.update(owner, ID, { visibility: 'private' }, undefined);
      build(row({ visibility: 'private' }));
      await sut.update(owner, ID, { visibility: 'public' }, undefined);
      expect(channels.evictUnauthorized).not.toHaveBeenCalled();
    });

    it('should roll back with SERVICE_UNAVAILABLE and publish nothing when the eviction fails', async () => {
      build(row());
      channels.evictUnauthorized.mockRejectedValueOnce(new Error('timeout reached while waiting for fetchSockets'));
      expect(await codeOf(() => sut.update(owner, ID, { visibility: 'private' }, undefined))).toBe(
        ErrorCode.SERVICE_UNAVAILABLE,
      );
      expect(calls).not.toContain('commit');
      expect(publisher.publish).not.toHaveBeenCalled();
    });

    it('should keep a committed change unpublished when only the second eviction fails', async () => {
      build(row());
      channels.evictUnauthorized.mockResolvedValueOnce(0).mockRejectedValueOnce(new Error('redis down'));
      const result = await sut.update(owner, ID, { visibility: 'private' }, undefined);
      expect(result.version).toBe(4);
      expect(publisher.publish).not.toHaveBeenCalled();
    });

    it('should answer VERSION_CONFLICT with the current version for a stale If-Match, writing nothing', async () => {
      build(row());
      const error = await sut.update(owner, ID, { name: 'x' }, [2]).catch((err: unknown) => err);
      expect(error instanceof DomainException && error.code).toBe(ErrorCode.VERSION_CONFLICT);
      expect((error as DomainException).details).toEqual({ currentVersion: 3 });
      expect(calls).not.toContain('write');
      expect(calls).not.toContain('commit');
    });

    it('should refuse an empty patch, a stranger, a missing resource and an oversized result', async () => {
      build(row());
      expect(await codeOf(() => sut.update(owner, ID, {}, undefined))).toBe(ErrorCode.VALIDATION_FAILED);
      expect(await codeOf(() => sut.update(stranger, ID, { name: 'x' }, undefined))).toBe(ErrorCode.FORBIDDEN);
      expect(await codeOf(() => sut.update(owner, ID, { data: { big: 'x'.repeat(70_000) } }, undefined))).toBe(
        ErrorCode.PAYLOAD_TOO_LARGE,
      );
      expect(calls).not.toContain('write');
      build(null);
      expect(await codeOf(() => sut.update(owner, ID, { name: 'x' }, undefined))).toBe(ErrorCode.NOT_FOUND);
      expect(publisher.publish).not.toHaveBeenCalled();
    });
  });

  describe('remove', () => {
    it('should delete, then publish resource:deleted as the last event of the stream, closing the room', async () => {
      build(row());
      await sut.remove(owner, ID, undefined);
      expect(calls).toEqual(['begin', 'delete', 'commit', 'publish resource:deleted']);
      // After the last update (version 3, event 2).
      expect(publisher.publish).toHaveBeenCalledWith(
        `resource:updates:${ID}`,
        'resource:deleted',
        { resourceId: ID },
        { order: { key: `resource:${ID}`, seq: 3 }, closesRoom: true },
      );
    });

    it('should delete nothing and publish nothing for a stranger or a stale If-Match', async () => {
      build(row());
      expect(await codeOf(() => sut.remove(stranger, ID, undefined))).toBe(ErrorCode.FORBIDDEN);
      expect(await codeOf(() => sut.remove(owner, ID, [2]))).toBe(ErrorCode.VERSION_CONFLICT);
      expect(calls).toEqual(['begin', 'begin']);
      expect(publisher.publish).not.toHaveBeenCalled();
    });
  });

  describe('snapshot', () => {
    it('should refuse kiosk and worker principals before reading anything', async () => {
      build(row());
      expect(await codeOf(() => sut.snapshot({ id: OWNER, role: 'kiosk' }, ID))).toBe(ErrorCode.FORBIDDEN);
      expect(calls).toEqual([]);
    });

    it('should answer NOT_FOUND, FORBIDDEN for a private one, or the Resource', async () => {
      build(null);
      expect(await codeOf(() => sut.snapshot(owner, ID))).toBe(ErrorCode.NOT_FOUND);
      build(row({ visibility: 'private' }));
      expect(await codeOf(() => sut.snapshot(stranger, ID))).toBe(ErrorCode.FORBIDDEN);
      expect(await sut.snapshot(owner, ID)).toMatchObject({ id: ID, visibility: 'private', version: 3 });
    });
  });
});
