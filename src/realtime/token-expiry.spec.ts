import type { Socket } from 'socket.io';
import { armTokenTimers, clearTokenTimers, EXPIRING_NOTICE_MS, LATE_NOTICE_DELAY_MS } from './token-expiry.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

/** What the clock did to a socket: the events it emitted and its disconnect, in order. */
function fakeSocket(): { socket: Socket; seen: string[] } {
  const seen: string[] = [];
  const socket = {
    connected: true,
    emit: (event: string) => seen.push(event),
    disconnect: () => seen.push('disconnect'),
  };
  return { socket: socket as unknown as Socket, seen };
}

describe('token deadlines', () => {
  // 0.3 s into a second: a JWT's exp is a whole second, so the token below ends 0.7 s from now.
  const start = 1_800_000_000_300;
  const endsAt = 1_800_000_001_000;
  let sockets: Socket[];

  beforeEach(() => {
    jest.useFakeTimers({ now: start });
    sockets = [];
  });
  afterEach(() => {
    for (const socket of sockets) clearTokenTimers(socket);
    jest.advanceTimersByTime(1000); // the clock stops once nothing is due
    jest.useRealTimers();
  });

  /** A connected socket, its deadlines armed. */
  function armed(expiresAt: number, late: 'notice' | 'none'): string[] {
    const { socket, seen } = fakeSocket();
    sockets.push(socket);
    armTokenTimers(socket, expiresAt, late);
    return seen;
  }

  it("should send auth:expiring at once to a socket connecting in its token's last second, then end it", () => {
    const seen = armed(endsAt, 'notice');
    jest.advanceTimersByTime(LATE_NOTICE_DELAY_MS - 1);
    expect(seen).toEqual([]); // not in the connection's first write: a client may add its listeners once connected
    jest.advanceTimersByTime(1);
    expect(seen).toEqual(['auth:expiring']);
    jest.advanceTimersByTime(2000);
    expect(seen).toEqual(['auth:expiring', 'error', 'disconnect']);
  });

  it('should send no late notice for a token handed over by auth:refresh', () => {
    const seen = armed(endsAt, 'none');
    jest.advanceTimersByTime(2000);
    expect(seen).toEqual(['error', 'disconnect']);
  });

  it('should send no late notice to a socket gone meanwhile', () => {
    const seen = armed(endsAt, 'notice');
    clearTokenTimers(sockets[0]);
    jest.advanceTimersByTime(2000);
    expect(seen).toEqual([]);
  });

  it('should send auth:expiring on the clock a minute before the end, and nothing before', () => {
    const seen = armed(endsAt + EXPIRING_NOTICE_MS + 2000, 'notice');
    jest.advanceTimersByTime(1000);
    expect(seen).toEqual([]);
    jest.advanceTimersByTime(2000);
    expect(seen).toEqual(['auth:expiring']);
    jest.advanceTimersByTime(EXPIRING_NOTICE_MS - 1000);
    expect(seen).toEqual(['auth:expiring']);
    jest.advanceTimersByTime(2000);
    expect(seen).toEqual(['auth:expiring', 'error', 'disconnect']);
  });
});
