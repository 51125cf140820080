import type { ClusterBus } from '../redis/cluster-bus.js';
import { type SubjectState, SubjectStateCache, type SubjectStateSource } from './subject-state.cache.js';

const { jest } = import.meta;

const A = '5b0c2f3e-8d6a-4c1b-9e7f-2a3b4c5d6e7f';
const B = '6c1d3f4a-9e7b-4d2c-8f8a-3b4c5d6e7f80';
const C = '7d2e4a5b-0f8c-4e3d-9a9b-4c5d6e7f8091';

interface State extends SubjectState {
  open: boolean;
}

describe(SubjectStateCache.name, () => {
  let load: jest.Mock;
  let handlers: Map<string, (payload: unknown) => void>;
  let resubscribed: () => void;
  let bus: ClusterBus;
  let now: number;

  function cache(overrides: Partial<SubjectStateSource<State>> = {}): SubjectStateCache<State> {
    const sut = new SubjectStateCache<State>(bus, {
      topic: 'thing:changed',
      idField: 'thingId',
      maxEntries: 2,
      maxAgeMs: () => 1000,
      load: load as unknown as SubjectStateSource<State>['load'],
      ...overrides,
    });
    sut.listen();
    return sut;
  }

  beforeEach(() => {
    load = jest.fn(async () => ({ tokenVersion: 1, open: true }));
    handlers = new Map();
    bus = {
      on: (topic: string, handler: (payload: unknown) => void) => handlers.set(topic, handler),
      onResubscribed: (handler: () => void) => (resubscribed = handler),
      publish: jest.fn(async (topic: string, payload: unknown) => handlers.get(topic)?.(payload)),
    } as unknown as ClusterBus;
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('should read a subject once while fresh, and again once older than its max age', async () => {
    const sut = cache();
    expect(await sut.get(A, 1)).toEqual({ tokenVersion: 1, open: true });
    now += 1000;
    await sut.get(A, 1);
    expect(load).toHaveBeenCalledTimes(1);
    now += 1;
    await sut.get(A, 1);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('should read again for a token newer than the cached state', async () => {
    const sut = cache();
    await sut.get(A, 1);
    load.mockResolvedValueOnce({ tokenVersion: 2, open: true });
    expect(await sut.get(A, 2)).toEqual({ tokenVersion: 2, open: true });
    expect(await sut.get(A, 1)).toEqual({ tokenVersion: 2, open: true });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('should answer undefined for a missing subject without caching it, and for a non-UUID without reading', async () => {
    const sut = cache();
    load.mockResolvedValue(undefined);
    expect(await sut.get(A, 1)).toBeUndefined();
    expect(await sut.get(A, 1)).toBeUndefined();
    expect(await sut.get('not-a-uuid', 1)).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('should drop the entry on an announcement, on the payload field it names', async () => {
    const sut = cache();
    await sut.get(A, 1);
    await sut.announce(A);
    expect(bus.publish).toHaveBeenCalledWith('thing:changed', { thingId: A });
    load.mockResolvedValueOnce({ tokenVersion: 1, open: false });
    expect(await sut.get(A, 1)).toEqual({ tokenVersion: 1, open: false });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('should answer but not cache a read that an announcement crossed', async () => {
    const sut = cache();
    let finish: (state: State) => void = () => undefined;
    load.mockReturnValueOnce(new Promise((resolve) => (finish = resolve)));
    const answer = sut.get(A, 1);
    await sut.announce(B);
    finish({ tokenVersion: 1, open: true });
    expect(await answer).toEqual({ tokenVersion: 1, open: true });
    await sut.get(A, 1);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('should read every subject again once the bus is subscribed again after a lost link, a final state kept', async () => {
    const sut = cache({ afterChange: () => ({ tokenVersion: 1, open: false }) });
    await sut.get(A, 1);
    await sut.get(B, 1);
    handlers.get('thing:changed')!({ thingId: B });
    // An announcement made while the link was down never came: A's revocation, say.
    load.mockResolvedValue({ tokenVersion: 2, open: true });
    resubscribed();
    expect(await sut.get(A, 1)).toEqual({ tokenVersion: 2, open: true });
    expect(await sut.get(B, 1)).toEqual({ tokenVersion: 1, open: false });
    // A and B before, A again after.
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('should keep a final state left by an announcement over any read, in flight or later', async () => {
    const sut = cache({ afterChange: (previous) => ({ tokenVersion: previous?.tokenVersion ?? 0, open: false }) });
    let finish: (state: State) => void = () => undefined;
    load.mockReturnValueOnce(new Promise((resolve) => (finish = resolve)));
    const answer = sut.get(A, 1);
    await sut.announce(A);
    finish({ tokenVersion: 1, open: true });
    expect(await answer).toEqual({ tokenVersion: 0, open: false });
    now += 10_000;
    expect(await sut.get(A, 5)).toEqual({ tokenVersion: 0, open: false });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('should forget the oldest subject beyond its maximum number of entries', async () => {
    const sut = cache();
    await sut.get(A, 1);
    await sut.get(B, 1);
    await sut.get(C, 1);
    await sut.get(B, 1);
    expect(load).toHaveBeenCalledTimes(3);
    await sut.get(A, 1);
    expect(load).toHaveBeenCalledTimes(4);
  });
});
