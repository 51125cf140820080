// Whether a kiosk token (subject = a workstation) may act: the workstation exists and the token carries its
// current token version. Asked on every request and socket event of a kiosk, so it is cached per instance; a
// rotation is announced on the cluster bus so that every instance drops its copy at once.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { type SubjectState, SubjectStateCache } from '../auth/subject-state.cache.js';
import { ClusterBus } from '../redis/cluster-bus.js';
import { WorkstationsRepository } from './workstations.repository.js';

// A safety net for a lost bus message only.
const MAX_AGE_MS = 60_000;

@Injectable()
export class WorkstationAccessCache implements OnModuleInit {
  private readonly cache: SubjectStateCache<SubjectState>;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    repository: WorkstationsRepository,
    bus: ClusterBus,
    private readonly principals: PrincipalRegistry,
  ) {
    this.cache = new SubjectStateCache(bus, {
      topic: 'kiosk:workstation-token',
      idField: 'workstationId',
      maxEntries: 10_000,
      maxAgeMs: () => MAX_AGE_MS,
      load: async (id) => {
        const tokenVersion = await repository.tokenVersion(dataSource.manager, id);
        return tokenVersion === undefined ? undefined : { tokenVersion };
      },
    });
  }

  onModuleInit(): void {
    this.cache.listen();
    this.principals.register(['kiosk'], (id, tokenVersion) => this.isCurrent(id, tokenVersion));
  }

  async isCurrent(workstationId: string, tokenVersion: number): Promise<boolean> {
    const state = await this.cache.get(workstationId, tokenVersion);
    return state !== undefined && state.tokenVersion === tokenVersion;
  }

  /** Drops the cached token version on every instance (call after committing a rotation). */
  async invalidate(workstationId: string): Promise<void> {
    await this.cache.announce(workstationId);
  }
}
