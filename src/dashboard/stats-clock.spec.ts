import { AppConfig } from '../config/app-config.js';
import type { ChannelService } from '../realtime/channel.service.js';
import type { RedisService } from '../redis/redis.service.js';
import { StatsClock } from './stats-clock.js';

const { jest } = import.meta;

describe(StatsClock.name, () => {
  let hincrby: jest.Mock;
  let runScript: jest.Mock;
  let rooms: { reachesOtherInstances: boolean };
  let sut: StatsClock;

  beforeEach(() => {
    hincrby = jest.fn(async () => 1);
    // Redis's clock: another instance published within the period.
    runScript = jest.fn(async () => 400);
    rooms = { reachesOtherInstances: true };
    const redis = { enabled: true, client: { hincrby }, runScript, key: (...parts: string[]) => parts.join(':') };
    sut = new StatsClock(
      new AppConfig({ DASHBOARD_INTERVAL_MS: '1000', DASHBOARD_HEARTBEAT_SECONDS: '30' }),
      redis as unknown as RedisService,
      rooms as unknown as ChannelService,
    );
  });

  it("should share the deployment's period in Redis while this instance reaches the others", async () => {
    await sut.changed();
    expect(hincrby).toHaveBeenCalledWith('dashboard:stats-clock', 'version', 1);
    expect(await sut.claim(true)).toEqual({ claim: false, retryInMs: 400 });
    expect(runScript).toHaveBeenCalledTimes(1);
  });

  it('should keep its own period, with the changes it heard, while cut off from the others', async () => {
    await sut.changed();
    rooms.reachesOtherInstances = false;
    await sut.changed();
    // No Redis command is tried (each would fail after about a second).
    expect(hincrby).toHaveBeenCalledTimes(1);
    expect(await sut.claim(false)).toEqual({ claim: true });
    expect(await sut.claim(true)).toMatchObject({ claim: false });
    expect(runScript).not.toHaveBeenCalled();

    rooms.reachesOtherInstances = true;
    expect(await sut.claim(true)).toEqual({ claim: false, retryInMs: 400 });
    expect(runScript).toHaveBeenCalledTimes(1);
  });
});
