// The SQL of resources. Every method takes the EntityManager to run on: inside a transaction, that transaction's
// manager (embedded PGlite has one backend; any other connection would wait forever).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { JsonObject } from './merge-patch.js';
import type { ResourceVisibility } from './resource-access.js';
import { Resource } from './resource.entity.js';

/** The database's clock, at millisecond precision, and never before the previous version's time. */
const NEXT_UPDATED_AT = `GREATEST("updated_at", date_trunc('milliseconds', clock_timestamp()))`;

/** What a change writes: the resource's new state. */
export interface ResourceFields {
  name: string;
  visibility: ResourceVisibility;
  data: JsonObject;
  version: number;
  updatedBy: string;
}

export interface ResourcePageSpec {
  /** Only public resources and this user's own; undefined: every resource (admins). */
  readableBy?: string;
  /** The last row of the previous page: its `updated_at` (ISO) and id. */
  after?: readonly [updatedAt: string, id: string];
  /** Rows to fetch (the page size plus one, to learn whether there is more). */
  take: number;
}

/** A JSON object as a value for the jsonb column: TypeORM's deep-partial typing has no notion of JSON values. */
function asColumn(data: JsonObject): QueryDeepPartialEntity<Resource>['data'] {
  return data as QueryDeepPartialEntity<Resource>['data'];
}

@Injectable()
export class ResourcesRepository {
  /** Inserts a resource at version 1, made by its owner, and answers it as stored. */
  async insert(
    manager: EntityManager,
    fields: { ownerId: string; name: string; visibility: ResourceVisibility; data: JsonObject },
  ): Promise<Resource> {
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(Resource)
      .values({
        ownerId: fields.ownerId,
        name: fields.name,
        visibility: fields.visibility,
        data: asColumn(fields.data),
        version: 1,
        updatedBy: fields.ownerId,
      })
      .returning(['id'])
      .execute();
    const id = (inserted.raw as { id: string }[])[0].id;
    return manager.findOneByOrFail(Resource, { id });
  }

  async find(manager: EntityManager, id: string): Promise<Resource | null> {
    return manager.findOneBy(Resource, { id });
  }

  /** Most recently updated first, then by id. */
  async page(manager: EntityManager, spec: ResourcePageSpec): Promise<Resource[]> {
    const qb = manager
      .createQueryBuilder(Resource, 'r')
      .orderBy('r.updated_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(spec.take);
    if (spec.readableBy !== undefined) {
      qb.andWhere(`(r.visibility = 'public' OR r.owner_id = :me)`, { me: spec.readableBy });
    }
    if (spec.after) {
      const [updatedAt, id] = spec.after;
      qb.andWhere('(r.updated_at, r.id) < (:updatedAt::timestamptz, :id::uuid)', { updatedAt, id });
    }
    return qb.getMany();
  }

  /**
   * Reads the row FOR SHARE, for the rest of the transaction: a reader waits for a change in progress (and sees
   * it), and no change begins until the reader's transaction ends.
   */
  async lockForRead(manager: EntityManager, id: string): Promise<Resource | null> {
    return manager.findOne(Resource, { where: { id }, lock: { mode: 'pessimistic_read' } });
  }

  /** Reads the row FOR UPDATE, for the rest of the transaction (the one way a change locks a resource). */
  async lockForWrite(manager: EntityManager, id: string): Promise<Resource | null> {
    return manager.findOne(Resource, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Writes the resource's new state (the row must be locked); `updated_at` comes from the database's clock and
   * never goes back. Answers the resource as it now is.
   */
  async update(manager: EntityManager, id: string, fields: ResourceFields): Promise<Resource> {
    await manager
      .createQueryBuilder()
      .update(Resource)
      .set({
        name: fields.name,
        visibility: fields.visibility,
        data: asColumn(fields.data),
        version: fields.version,
        updatedBy: fields.updatedBy,
        updatedAt: () => NEXT_UPDATED_AT,
      })
      .where('id = :id', { id })
      .execute();
    return manager.findOneByOrFail(Resource, { id });
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(Resource, { id });
  }
}
