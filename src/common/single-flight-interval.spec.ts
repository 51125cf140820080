import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { SingleFlightInterval } from './single-flight-interval.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

describe(SingleFlightInterval.name, () => {
  let release: () => void;
  let run: jest.Mock<Promise<void>, []>;
  let ready: boolean;
  let warn: jest.Mock;
  let sut: SingleFlightInterval;

  beforeEach(() => {
    run = jest.fn<Promise<void>, []>(() => new Promise<void>((resolve) => (release = resolve)));
    ready = true;
    warn = jest.fn();
    sut = new SingleFlightInterval({
      name: 'test:loop',
      run,
      failure: 'Pass failed',
      logger: { warn } as unknown as Logger,
      ready: () => ready,
    });
  });

  it('should not start a pass while the previous one runs, and answer the running one', async () => {
    const first = sut.tick();
    const second = sut.tick();
    expect(second).toBe(first);
    expect(run).toHaveBeenCalledTimes(1);
    release();
    await first;
    void sut.tick();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('should skip a period while not ready', async () => {
    ready = false;
    await sut.tick();
    expect(run).not.toHaveBeenCalled();
  });

  it('should log a failed pass and run the next one', async () => {
    const err = new Error('down');
    run.mockRejectedValueOnce(err);
    await sut.tick();
    expect(warn).toHaveBeenCalledWith({ err }, 'Pass failed');
    void sut.tick();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('should wait for the pass in flight on stop, delete the interval, and start no pass after', async () => {
    const registry = { doesExist: jest.fn(() => true), deleteInterval: jest.fn() };
    void sut.tick();
    let stopped = false;
    const stopping = sut.stop(registry as unknown as SchedulerRegistry).then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(registry.deleteInterval).toHaveBeenCalledWith('test:loop');
    await sut.tick();
    expect(run).toHaveBeenCalledTimes(1);
  });
});
