import { Logger } from '@nestjs/common';
import type { MetricsService } from '../metrics/metrics.service.js';
import { RealtimePublisher } from './realtime.publisher.js';
import type { RealtimeServer } from './realtime.server.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const CHANNEL = 'user:0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const KEY = 'conversation:9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f';

function presence(n: number) {
  return { userId: `u${n}`, online: true, lastSeenAt: null };
}

describe(RealtimePublisher.name, () => {
  let sut: RealtimePublisher;
  let inc: jest.Mock;
  let disconnectSockets: jest.Mock;
  let disconnectLocal: jest.Mock;
  let broadcast: jest.Mock;
  let server: { ready: boolean; server: unknown };

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z') });
    disconnectSockets = jest.fn();
    disconnectLocal = jest.fn();
    inc = jest.fn();
    broadcast = jest.fn();
    server = {
      ready: true,
      server: {
        in: jest.fn().mockReturnValue({ disconnectSockets }),
        local: { in: jest.fn().mockReturnValue({ disconnectSockets: disconnectLocal }) },
        sockets: { adapter: { broadcast } },
      },
    };
    sut = new RealtimePublisher(
      server as unknown as RealtimeServer,
      { eventsOut: { inc } } as unknown as MetricsService,
    );
  });

  afterEach(() => jest.useRealTimers());

  describe('publish', () => {
    it('should broadcast to the channel at once, stamped with the publish time, and count the event', () => {
      sut.publish(CHANNEL, 'presence', presence(1));
      expect(broadcast).toHaveBeenCalledWith(
        { type: 2, data: ['presence', presence(1)] },
        { rooms: new Set([CHANNEL]), except: new Set(), flags: { publishedAt: Date.now() } },
      );
      expect(inc).toHaveBeenCalledWith({ event: 'presence' });
    });

    it('should leave out the sockets of the excepted rooms', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { exceptRooms: ['user:typist'] });
      expect(broadcast.mock.calls[0][1].except).toEqual(new Set(['user:typist']));
    });

    it('should carry the order of an ordered event for every instance’s adapter', () => {
      sut.publish(CHANNEL, 'presence', presence(7), { order: { key: KEY, seq: 7 } });
      expect(broadcast.mock.calls[0][1].flags).toEqual({ publishedAt: Date.now(), order: { key: KEY, seq: 7 } });
    });

    it('should drop events published before the socket server started', () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      server.ready = false;
      sut.publish(CHANNEL, 'presence', presence(1));
      sut.publish(CHANNEL, 'presence', presence(2), { order: { key: KEY, seq: 1 } });
      expect(broadcast).not.toHaveBeenCalled();
      expect(inc).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith({ channel: CHANNEL, event: 'presence' }, expect.any(String));
      warn.mockRestore();
    });
  });

  describe('disconnectRoom', () => {
    it("should disconnect this instance's sockets of the room at once, then ask every instance", () => {
      sut.disconnectRoom(CHANNEL);
      expect(disconnectLocal).toHaveBeenCalledWith(true);
      expect(disconnectSockets).toHaveBeenCalledWith(true);
      expect(disconnectLocal.mock.invocationCallOrder[0]).toBeLessThan(disconnectSockets.mock.invocationCallOrder[0]);
    });
  });
});
