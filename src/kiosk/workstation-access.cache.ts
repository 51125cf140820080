// Whether a kiosk token (subject = a workstation) may act: the workstation exists and the token carries its
// current token version. Asked on every request and socket event of a kiosk, so it is cached per instance; a
// rotation is announced on the cluster bus (`invalidate`) so that every instance drops its copy at once.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { type SubjectState, TokenSubjectCache } from '../auth/subject-state.cache.js';
import { ClusterBus } from '../redis/cluster-bus.js';
import { WorkstationsRepository } from './workstations.repository.js';

// A safety net for a lost bus message only.
const MAX_AGE_MS = 60_000;

@Injectable()
export class WorkstationAccessCache extends TokenSubjectCache<SubjectState> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    repository: WorkstationsRepository,
    bus: ClusterBus,
    principals: PrincipalRegistry,
  ) {
    super(bus, principals, ['kiosk'], {
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
}
