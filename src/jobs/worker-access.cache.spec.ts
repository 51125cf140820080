import type { DataSource } from 'typeorm';
import type { PrincipalRegistry } from '../auth/principal.registry.js';
import type { ClusterBus } from '../redis/cluster-bus.js';
import type { JobsRepository } from './jobs.repository.js';
import { WorkerAccessCache } from './worker-access.cache.js';

const { jest } = import.meta;

const JOB_ID = '5b0c2f3e-8d6a-4c1b-9e7f-2a3b4c5d6e7f';

describe(WorkerAccessCache.name, () => {
  let sut: WorkerAccessCache;
  let findOne: jest.Mock;
  let handlers: Map<string, (payload: unknown) => void>;
  let register: jest.Mock;

  beforeEach(() => {
    findOne = jest.fn();
    handlers = new Map();
    register = jest.fn();
    const bus = {
      on: (topic: string, handler: (payload: unknown) => void) => handlers.set(topic, handler),
      onResubscribed: () => undefined,
      publish: jest.fn(async (topic: string, payload: unknown) => handlers.get(topic)?.(payload)),
    };
    sut = new WorkerAccessCache(
      { manager: {} } as unknown as DataSource,
      { workerAccess: findOne } as unknown as JobsRepository,
      bus as unknown as ClusterBus,
      { register } as unknown as PrincipalRegistry,
    );
    sut.onModuleInit();
  });

  it('should register the worker role', () => {
    expect(register).toHaveBeenCalledWith(['worker'], expect.any(Function));
  });

  it('should pass an active job with the token version, once loaded', async () => {
    findOne.mockResolvedValue({ id: JOB_ID, status: 'running', tokenVersion: 0 });
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(true);
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(true);
    expect(findOne).toHaveBeenCalledTimes(1);
  });

  it('should refuse a missing job, an ended job, another token version and a non-UUID subject', async () => {
    findOne.mockResolvedValueOnce(null);
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(false);
    findOne.mockResolvedValueOnce({ id: JOB_ID, status: 'completed', tokenVersion: 0 });
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(false);
    expect(await sut.isCurrent('not-a-uuid', 0, 'worker')).toBe(false);
    expect(findOne).toHaveBeenCalledTimes(2);
  });

  it('should refuse at once, without reading, after the job ended', async () => {
    findOne.mockResolvedValue({ id: JOB_ID, status: 'running', tokenVersion: 0 });
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(true);
    await sut.invalidate(JOB_ID);
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(false);
    expect(findOne).toHaveBeenCalledTimes(1);
  });

  it('should let an end announced during a read win over that read', async () => {
    let finish: (job: unknown) => void = () => undefined;
    findOne.mockReturnValue(new Promise((resolve) => (finish = resolve)));
    const answer = sut.isCurrent(JOB_ID, 0, 'worker');
    await sut.invalidate(JOB_ID);
    finish({ id: JOB_ID, status: 'running', tokenVersion: 0 });
    expect(await answer).toBe(false);
    expect(await sut.isCurrent(JOB_ID, 0, 'worker')).toBe(false);
  });
});
