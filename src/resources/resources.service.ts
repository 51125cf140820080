// Shared JSON documents: CRUD with read/write rules, merge-patch updates under a row lock with optimistic
// concurrency (If-Match), and one `resource:update` per version on `resource:updates:{id}`.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { CHANNEL_PATTERNS, channels } from '@realtime-hub/protocol';
import { isAccount, type Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { cursorField, decodeCursor, type Page, type PageQueryDto, pageLimit, toPage } from '../common/pagination.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import { ChannelService } from '../realtime/channel.service.js';
import type { StreamOrder } from '../realtime/reorder-buffer.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { CreateResourceDto, ResourceChanges, ResourceDto, UpdateResourceDto } from './dto/resource.dto.js';
import { type IfMatch, ifMatchAccepts } from './if-match.js';
import { applyMergePatch, type JsonObject } from './merge-patch.js';
import { assertCanRead, assertCanWrite, type Caller, readersAfter, withdrawsReaders } from './resource-access.js';
import { assertStorableData } from './resource-data.js';
import type { Resource } from './resource.entity.js';
import { toResourceDto } from './resource.mapper.js';
import { ResourcesRepository } from './resources.repository.js';

export const RESOURCE_CHANNEL_PATTERN = CHANNEL_PATTERNS.resource;
export const resourceChannel = (id: string): string => channels.resource(id);

@Injectable()
export class ResourcesService implements OnModuleInit {
  private readonly logger = new Logger('ResourcesService');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repository: ResourcesRepository,
    private readonly publisher: RealtimePublisher,
    private readonly channels: ChannelService,
    private readonly registry: ChannelRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      pattern: RESOURCE_CHANNEL_PATTERN,
      authorize: async (principal, { id }) => {
        if (!isAccount(principal)) throw DomainException.forbidden('Resources are for user accounts');
        await this.get(principal, id);
      },
      snapshot: (principal, { id }) => this.snapshot(principal, id),
    });
  }

  /**
   * The channel's rule and snapshot, read once the subscriber has joined. The row is read FOR SHARE, so a subscribe
   * that races a change waits for its commit and starts from the version it made (or is refused by it).
   */
  async snapshot(actor: Caller, id: string): Promise<ResourceDto> {
    if (!isAccount(actor)) throw DomainException.forbidden('Resources are for user accounts');
    const resource = await this.uow.run(({ manager }) => this.repository.lockForRead(manager, id));
    if (!resource) throw DomainException.notFound('Resource');
    assertCanRead(actor, resource);
    return toResourceDto(resource);
  }

  async create(actor: Principal, dto: CreateResourceDto): Promise<ResourceDto> {
    assertStorableData(dto.data);
    const resource = await this.repository.insert(this.dataSource.manager, {
      ownerId: actor.id,
      name: dto.name,
      visibility: dto.visibility,
      data: dto.data,
    });
    return toResourceDto(resource);
  }

  /** Readable resources, most recently updated first: public ones and the caller's own; every one for admins. */
  async list(actor: Principal, query: PageQueryDto): Promise<Page<ResourceDto>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
    const rows = await this.repository.page(this.dataSource.manager, {
      readableBy: actor.role === 'admin' ? undefined : actor.id,
      after: cursor,
      take: limit + 1,
    });
    return toPage(rows, limit, (r) => [r.updatedAt.toISOString(), r.id], toResourceDto);
  }

  async get(actor: Principal, id: string): Promise<ResourceDto> {
    const resource = await this.repository.find(this.dataSource.manager, id);
    if (!resource) throw DomainException.notFound('Resource');
    assertCanRead(actor, resource);
    return toResourceDto(resource);
  }

  /**
   * Applies a PATCH under a row lock: `data` as a JSON merge patch, version + 1. When the change makes the
   * resource private, subscribers who may no longer read it are removed before anyone hears of it: once
   * while the row is still locked (so no later version, published by any instance, can overtake the
   * eviction) and once after commit (for sockets that joined in between), then the update is published.
   */
  async update(actor: Principal, id: string, dto: UpdateResourceDto, ifMatch: IfMatch): Promise<ResourceDto> {
    const changes = appliedChanges(dto);
    if (Object.keys(changes).length === 0) {
      throw DomainException.validation('The body must change at least one of name, visibility, data', [
        { field: 'body', errors: ['at least one of name, visibility, data is required'] },
      ]);
    }
    const updated = await this.uow.run(async ({ manager, afterCommit }) => {
      const current = await this.lockForWrite(manager, actor, id, ifMatch);
      const stored = current.data as JsonObject;
      const data = changes.data === undefined ? stored : applyMergePatch(stored, changes.data);
      assertStorableData(data);
      const next = await this.repository.update(manager, current.id, {
        name: changes.name ?? current.name,
        visibility: changes.visibility ?? current.visibility,
        data,
        version: current.version + 1,
        updatedBy: actor.id,
      });
      const withdrawn = withdrawsReaders(current.visibility, next.visibility);
      if (withdrawn && !(await this.evictReadersWithoutAccess(next))) {
        throw new DomainException(
          ErrorCode.SERVICE_UNAVAILABLE,
          'Could not withdraw the current subscribers; nothing was changed',
        );
      }
      afterCommit(async () => {
        // Evicted again after the commit (a reader may have joined meanwhile); the answer waits for it.
        if (withdrawn && !(await this.evictReadersWithoutAccess(next))) {
          // Privacy first: owners and admins miss this event and resync from the next version or over REST.
          this.logger.error({ resourceId: next.id, version: next.version }, 'Update not published');
          return;
        }
        this.publishUpdate(next, changes);
      });
      return next;
    });
    return toResourceDto(updated);
  }

  private publishUpdate(updated: Resource, changes: ResourceChanges): void {
    const resource = toResourceDto(updated);
    this.publisher.publish(
      resourceChannel(updated.id),
      'resource:update',
      {
        resourceId: updated.id,
        version: updated.version,
        changes,
        resource,
        updatedBy: resource.updatedBy,
        updatedAt: resource.updatedAt,
      },
      { order: resourceOrder(updated.id, updated.version) },
    );
  }

  /** Deletes, tells the channel `resource:deleted`, which empties it on every instance once delivered there. */
  async remove(actor: Principal, id: string, ifMatch: IfMatch): Promise<void> {
    await this.uow.run(async ({ manager, afterCommit }) => {
      const current = await this.lockForWrite(manager, actor, id, ifMatch);
      await this.repository.delete(manager, current.id);
      // The stream's last event, after every update (one may still be held on its way), and the room emptied on
      // each instance once it is delivered there.
      afterCommit(() =>
        this.publisher.publish(
          resourceChannel(current.id),
          'resource:deleted',
          { resourceId: current.id },
          { order: resourceOrder(current.id, current.version + 1), closesRoom: true },
        ),
      );
    });
  }

  /** The resource under its write lock, when the actor may change it and `ifMatch` accepts its version. */
  private async lockForWrite(m: EntityManager, actor: Caller, id: string, ifMatch: IfMatch): Promise<Resource> {
    const current = await this.repository.lockForWrite(m, id);
    if (!current) throw DomainException.notFound('Resource');
    assertCanWrite(actor, current);
    if (!ifMatchAccepts(ifMatch, current.version)) {
      throw new DomainException(ErrorCode.VERSION_CONFLICT, `The resource is at version ${current.version}`, {
        currentVersion: current.version,
      });
    }
    return current;
  }

  /** Removes, on every instance, the channel's sockets that may not read `resource` as it now is. */
  private async evictReadersWithoutAccess(resource: Resource): Promise<boolean> {
    try {
      await this.channels.evictUnauthorized(resourceChannel(resource.id), readersAfter(resource));
      return true;
    } catch (err) {
      this.logger.error({ err: (err as Error).message, resourceId: resource.id }, 'Eviction failed');
      return false;
    }
  }
}

/** The PATCH fields that were sent (and validated), as they are applied. */
function appliedChanges(dto: UpdateResourceDto): ResourceChanges {
  const changes: ResourceChanges = {};
  if (dto.name !== undefined) changes.name = dto.name;
  if (dto.visibility !== undefined) changes.visibility = dto.visibility;
  if (dto.data !== undefined) changes.data = dto.data;
  return changes;
}

/**
 * A resource's place in its channel's ordered stream. Version 1 (creation) is never published, so an update's event
 * number is its version − 1: the first update is event 1, which an instance delivers at once rather than waiting for
 * predecessors that do not exist. The deletion comes after the last version.
 */
function resourceOrder(id: string, version: number): StreamOrder {
  return { key: `resource:${id}`, seq: version - 1 };
}
