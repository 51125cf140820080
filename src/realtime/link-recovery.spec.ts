import { Logger } from '@nestjs/common';
import type { MetricsService } from '../metrics/metrics.service.js';
import type { ClusterBus } from '../redis/cluster-bus.js';
import type { RedisService } from '../redis/redis.service.js';
import type { ChannelService } from './channel.service.js';
import { LinkRecovery, SETTLE_MS, SKEW_MARGIN_MS } from './link-recovery.js';
import type { RealtimeServer } from './realtime.server.js';

const { jest } = import.meta;

interface FakeSocket {
  id: string;
  handshake: { issued: number };
  connected: boolean;
  conn: { close: jest.Mock };
}

describe(LinkRecovery.name, () => {
  let sockets: Map<string, FakeSocket>;
  let rooms: { reachesOtherInstances: boolean };
  let publish: jest.Mock;
  let onNotice: (payload: unknown) => void;
  let onLink: () => void;
  let closes: jest.Mock;
  let sut: LinkRecovery;

  const socket = (id: string, issued: number): FakeSocket => {
    const s: FakeSocket = {
      id,
      handshake: { issued },
      connected: true,
      conn: { close: jest.fn(() => (s.connected = false)) },
    };
    sockets.set(id, s);
    return s;
  };
  const closed = () => [...sockets.values()].filter((s) => s.conn.close.mock.calls.length > 0).map((s) => s.id);

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    sockets = new Map();
    rooms = { reachesOtherInstances: true };
    publish = jest.fn(async () => undefined);
    closes = jest.fn();
    const bus = { on: (_topic: string, handler: (p: unknown) => void) => (onNotice = handler), publish };
    const redis = {
      enabled: true,
      instanceId: 'me',
      watch: (_roles: readonly string[], listener: () => void) => (onLink = listener),
    };
    const realtime = { ready: true, server: { sockets: { sockets } } };
    sut = new LinkRecovery(
      redis as unknown as RedisService,
      bus as unknown as ClusterBus,
      realtime as unknown as RealtimeServer,
      rooms as unknown as ChannelService,
      { linkRecoveryCloses: { inc: closes } } as unknown as MetricsService,
    );
    sut.onApplicationBootstrap();
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('should close the sockets it held through its own cut, and tell the other instances, once the link is back', async () => {
    socket('old', 900_000);
    onLink();
    expect(publish).not.toHaveBeenCalled();
    rooms.reachesOtherInstances = false;
    onLink();
    await jest.advanceTimersByTimeAsync(5_000);
    socket('during', 1_004_000);
    expect(closed()).toEqual([]);

    rooms.reachesOtherInstances = true;
    onLink();
    socket('after', 1_005_001);
    expect(publish).toHaveBeenCalledWith('realtime:link-restored', { from: 'me', restoredAt: 1_005_000 });
    await jest.advanceTimersByTimeAsync(SETTLE_MS - 1);
    expect(closed()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(closed()).toEqual(['old', 'during']);
    expect(closes).toHaveBeenCalledTimes(2);
    expect(publish).toHaveBeenCalledWith('realtime:link-restored', { from: 'me', restoredAt: 1_005_000 });
    // Up again on a second 'ready': nothing more.
    onLink();
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it("should close the sockets held through another instance's cut, allowing for clock skew, each once", async () => {
    socket('before', 999_000);
    socket('within-skew', 1_000_000 + SKEW_MARGIN_MS - 1);
    socket('after', 1_000_000 + SKEW_MARGIN_MS);
    onNotice({ from: 'other', restoredAt: 1_000_000 });
    // Its own notice, dispatched here by the bus too, is not counted twice.
    onNotice({ from: 'me', restoredAt: 1_000_000 });
    await jest.advanceTimersByTimeAsync(SETTLE_MS + 1_000);
    expect(closed()).toEqual(['before', 'within-skew']);
  });

  it('should close once for every link that comes back within the settling time (Redis itself back)', async () => {
    socket('through', 990_000);
    onNotice({ from: 'b', restoredAt: 1_000_000 });
    await jest.advanceTimersByTimeAsync(400);
    // Connected between the two restores: it missed what C published while C was still cut off.
    socket('between', 1_000_300);
    onNotice({ from: 'c', restoredAt: 1_000_400 });
    await jest.advanceTimersByTimeAsync(SETTLE_MS + 1_000);
    expect(closed()).toEqual(['through', 'between']);
    expect(closes).toHaveBeenCalledTimes(2);
  });

  it('should spread the closing over time, a thousand sockets a second', async () => {
    for (let i = 0; i < 3000; i += 1) socket(`s${i}`, 999_000);
    onNotice({ from: 'other', restoredAt: 1_000_000 });
    // A second notice while closing does not close any twice.
    await jest.advanceTimersByTimeAsync(SETTLE_MS);
    onNotice({ from: 'third', restoredAt: 1_000_000 });
    expect(closes.mock.calls.length).toBeLessThan(100);
    await jest.advanceTimersByTimeAsync(1_500);
    expect(closes.mock.calls.length).toBeGreaterThan(1200);
    expect(closes.mock.calls.length).toBeLessThan(1800);
    await jest.advanceTimersByTimeAsync(1_600);
    expect(closes).toHaveBeenCalledTimes(3000);
  });

  it('should retry telling the other instances while Redis is not answering yet', async () => {
    publish.mockRejectedValueOnce(new Error('not ready')).mockRejectedValueOnce(new Error('not ready'));
    rooms.reachesOtherInstances = false;
    onLink();
    rooms.reachesOtherInstances = true;
    onLink();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(publish).toHaveBeenCalledTimes(3);
  });
});
