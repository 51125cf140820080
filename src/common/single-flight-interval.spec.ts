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
  let log: jest.Mock;
  let sut: SingleFlightInterval;

  beforeEach(() => {
    run = jest.fn<Promise<void>, []>(() => new Promise<void>((resolve) => (release = resolve)));
    ready = true;
    warn = jest.fn();
    log = jest.fn();
    sut = new SingleFlightInterval({
      name: 'test:loop',
      run,
      failure: 'Pass failed',
      logger: { warn, log } as unknown as Logger,
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

  it('should log passes that keep failing once, then every 30 s, and the first pass that succeeds after them', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const err = new Error('down');
      run.mockRejectedValue(err);
      for (let i = 0; i < 100; i += 1) {
        await sut.tick();
        jest.advanceTimersByTime(250);
      }
      // 100 failed passes over 25 s: one line.
      expect(warn).toHaveBeenCalledTimes(1);
      for (let i = 0; i < 20; i += 1) {
        await sut.tick();
        jest.advanceTimersByTime(250);
      }
      expect(warn).toHaveBeenCalledTimes(1);
      // The 121st, 30 s after the first.
      await sut.tick();
      expect(warn).toHaveBeenCalledTimes(2);
      expect(warn).toHaveBeenLastCalledWith({ err, failedPasses: 121, failingForMs: 30_000 }, 'Pass failed');
      run.mockResolvedValueOnce(undefined);
      await sut.tick();
      expect(log).toHaveBeenCalledWith({ failedPasses: 121, failingForMs: 30_000 }, 'test:loop: passing again');
      // A new failure after that is logged at once.
      await sut.tick();
      expect(warn).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
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
