import { Logger } from '@nestjs/common';
import type { MetricsService } from '../metrics/metrics.service.js';
import { RealtimePublisher } from './realtime.publisher.js';
import type { RealtimeServer } from './realtime.server.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const CHANNEL = 'user:0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const KEY = 'conversation:9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f';
/** The publisher's reorder wait; kept in step with REORDER_WAIT_MS. */
const WAIT_MS = 250;
/** How long a key first seen above seq 1 waits for earlier seqs; kept in step with FIRST_WAIT_MS. */
const FIRST_WAIT_MS = 40;

function presence(n: number) {
  return { userId: `u${n}`, online: true, lastSeenAt: null };
}

describe(RealtimePublisher.name, () => {
  let sut: RealtimePublisher;
  let emit: jest.Mock;
  let except: jest.Mock;
  let to: jest.Mock;
  let inc: jest.Mock;
  let disconnectSockets: jest.Mock;
  let server: { ready: boolean; server: unknown };

  /** The userIds of the payloads emitted so far, in emission order. */
  const emitted = (): string[] => emit.mock.calls.map(([, payload]) => (payload as { userId: string }).userId);

  beforeEach(() => {
    jest.useFakeTimers();
    emit = jest.fn();
    disconnectSockets = jest.fn();
    const target = { emit, except: jest.fn() };
    except = target.except.mockReturnValue(target);
    to = jest.fn().mockReturnValue(target);
    inc = jest.fn();
    server = { ready: true, server: { to, in: jest.fn().mockReturnValue({ disconnectSockets }) } };
    sut = new RealtimePublisher(
      server as unknown as RealtimeServer,
      { eventsOut: { inc } } as unknown as MetricsService,
    );
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  describe('publish', () => {
    it('should emit to the channel at once and count the event', () => {
      sut.publish(CHANNEL, 'presence', presence(1));
      expect(to).toHaveBeenCalledWith(CHANNEL);
      expect(emit).toHaveBeenCalledWith('presence', presence(1));
      expect(except).not.toHaveBeenCalled();
      expect(inc).toHaveBeenCalledWith({ event: 'presence' });
    });

    it('should leave out the sockets of the excepted rooms', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { exceptRooms: ['user:typist'] });
      expect(except).toHaveBeenCalledWith(['user:typist']);
      expect(emit).toHaveBeenCalledTimes(1);
    });

    it('should drop events published before the socket server started', () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      server.ready = false;
      sut.publish(CHANNEL, 'presence', presence(1));
      sut.publish(CHANNEL, 'presence', presence(2), { order: { key: KEY, seq: 1 } });
      expect(to).not.toHaveBeenCalled();
      expect(inc).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledWith({ channel: CHANNEL, event: 'presence' }, expect.any(String));
      warn.mockRestore();
    });
  });

  describe('ordered publish', () => {
    it('should emit events in seq order when they are published in order', () => {
      for (const seq of [1, 2, 3]) sut.publish(CHANNEL, 'presence', presence(seq), { order: { key: KEY, seq } });
      expect(emitted()).toEqual(['u1', 'u2', 'u3']);
    });

    it('should hold an event until its predecessor arrives, then emit both in order', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      sut.publish(CHANNEL, 'presence', presence(4), { order: { key: KEY, seq: 4 } });
      expect(emitted()).toEqual(['u1']);
      sut.publish(CHANNEL, 'presence', presence(2), { order: { key: KEY, seq: 2 } });
      expect(emitted()).toEqual(['u1', 'u2', 'u3', 'u4']);
      // Nothing more is emitted when the reorder wait would have ended.
      jest.advanceTimersByTime(WAIT_MS * 4);
      expect(emitted()).toEqual(['u1', 'u2', 'u3', 'u4']);
    });

    it('should sort events that arrive in any order behind a gap', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      for (const seq of [5, 3, 4, 2]) sut.publish(CHANNEL, 'presence', presence(seq), { order: { key: KEY, seq } });
      expect(emitted()).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    });

    it('should send seq 1 of a new key at once', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      expect(emitted()).toEqual(['u1']);
    });

    it('should hold the first event of a key seen above seq 1 briefly, so earlier seqs still go first', () => {
      sut.publish(CHANNEL, 'presence', presence(9), { order: { key: KEY, seq: 9 } });
      sut.publish(CHANNEL, 'presence', presence(7), { order: { key: KEY, seq: 7 } });
      expect(emitted()).toEqual([]);
      sut.publish(CHANNEL, 'presence', presence(8), { order: { key: KEY, seq: 8 } });
      jest.advanceTimersByTime(FIRST_WAIT_MS - 1);
      expect(emitted()).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(emitted()).toEqual(['u7', 'u8', 'u9']);
      sut.publish(CHANNEL, 'presence', presence(10), { order: { key: KEY, seq: 10 } });
      expect(emitted()).toEqual(['u7', 'u8', 'u9', 'u10']);
    });

    it('should start a key from seq 1 as soon as it arrives, even while later ones wait', () => {
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      expect(emitted()).toEqual(['u1']);
      sut.publish(CHANNEL, 'presence', presence(2), { order: { key: KEY, seq: 2 } });
      expect(emitted()).toEqual(['u1', 'u2', 'u3']);
    });

    it('should skip a gap that is never filled once the wait is over', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(4), { order: { key: KEY, seq: 4 } });
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      jest.advanceTimersByTime(WAIT_MS - 1);
      expect(emitted()).toEqual(['u1']);
      jest.advanceTimersByTime(1);
      expect(emitted()).toEqual(['u1', 'u3', 'u4']);
      // The order goes on from the last emitted seq.
      sut.publish(CHANNEL, 'presence', presence(5), { order: { key: KEY, seq: 5 } });
      expect(emitted()).toEqual(['u1', 'u3', 'u4', 'u5']);
    });

    it('should skip one gap at a time, waiting again for a second gap', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      sut.publish(CHANNEL, 'presence', presence(5), { order: { key: KEY, seq: 5 } });
      jest.advanceTimersByTime(WAIT_MS);
      expect(emitted()).toEqual(['u1', 'u3']);
      sut.publish(CHANNEL, 'presence', presence(4), { order: { key: KEY, seq: 4 } });
      expect(emitted()).toEqual(['u1', 'u3', 'u4', 'u5']);
      jest.advanceTimersByTime(WAIT_MS * 4);
      expect(emitted()).toEqual(['u1', 'u3', 'u4', 'u5']);
    });

    it('should still send a late event whose successors already left, rather than lose it', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      jest.advanceTimersByTime(WAIT_MS);
      sut.publish(CHANNEL, 'presence', presence(2), { order: { key: KEY, seq: 2 } });
      expect(emitted()).toEqual(['u1', 'u3', 'u2']);
      sut.publish(CHANNEL, 'presence', presence(4), { order: { key: KEY, seq: 4 } });
      expect(emitted()).toEqual(['u1', 'u3', 'u2', 'u4']);
    });

    it('should keep the order of each key apart', () => {
      const other = 'conversation:other';
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(101), { order: { key: other, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      sut.publish(CHANNEL, 'presence', presence(102), { order: { key: other, seq: 2 } });
      expect(emitted()).toEqual(['u1', 'u101', 'u102']);
      sut.publish(CHANNEL, 'presence', presence(2), { order: { key: KEY, seq: 2 } });
      expect(emitted()).toEqual(['u1', 'u101', 'u102', 'u2', 'u3']);
    });

    it('should send held events on shutdown', () => {
      sut.publish(CHANNEL, 'presence', presence(1), { order: { key: KEY, seq: 1 } });
      sut.publish(CHANNEL, 'presence', presence(3), { order: { key: KEY, seq: 3 } });
      sut.onModuleDestroy();
      expect(emitted()).toEqual(['u1', 'u3']);
    });
  });

  describe('disconnectRoom', () => {
    it('should disconnect every socket of the room', () => {
      sut.disconnectRoom(CHANNEL);
      expect(disconnectSockets).toHaveBeenCalledWith(true);
    });
  });
});
