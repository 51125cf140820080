// The real UnitOfWork over a stand-in transaction, for service specs that stub their repositories: the work gets
// `manager`, `committed()` runs once it resolves (log the commit there), and a throw is the rollback. A service that
// also reads `dataSource.manager` outside a transaction takes `{ manager: outside } as DataSource` beside it.
// transactionOver is the stand-in itself, in DataSource.transaction's shape, for a spec that builds its own DataSource
// around it (to count the transactions with jest.fn(transactionOver(...)), say) and hands that to new UnitOfWork.
import type { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from '../../src/database/unit-of-work.js';

export function unitOfWorkOver(manager: EntityManager, committed: () => void): UnitOfWork {
  return new UnitOfWork({ transaction: transactionOver(manager, committed) } as unknown as DataSource);
}

export function transactionOver(
  manager: EntityManager,
  committed: () => void,
): <T>(work: (m: EntityManager) => Promise<T>) => Promise<T> {
  return async (work) => {
    const result = await work(manager);
    committed();
    return result;
  };
}
