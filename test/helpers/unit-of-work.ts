// The real UnitOfWork over a stand-in transaction, for service specs that stub their repositories: the work gets
// `manager`, `committed()` runs once it resolves (log the commit there), and a throw is the rollback.
import type { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from '../../src/database/unit-of-work.js';

export function unitOfWorkOver(manager: EntityManager, committed: () => void): UnitOfWork {
  return new UnitOfWork({
    transaction: async <T>(work: (m: EntityManager) => Promise<T>): Promise<T> => {
      const result = await work(manager);
      committed();
      return result;
    },
  } as unknown as DataSource);
}
