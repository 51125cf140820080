import { InFlight } from './in-flight.js';

describe(InFlight.name, () => {
  it('should be idle at once when nothing is in flight', async () => {
    expect(await new InFlight().idle(10)).toBe(true);
  });

  it('should wake its waiters when the last piece of work leaves', async () => {
    const sut = new InFlight();
    sut.enter();
    sut.enter();
    const idle = sut.idle(1000);
    sut.leave();
    expect(sut.size).toBe(1);
    sut.leave();
    expect(await idle).toBe(true);
  });

  it('should give up after its timeout while work is still in flight', async () => {
    const sut = new InFlight();
    sut.enter();
    expect(await sut.idle(20)).toBe(false);
    expect(sut.size).toBe(1);
  });
});
