import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { FIRST_WAIT_MS, REORDER_WAIT_MS, ReorderBuffer } from './reorder-buffer.js';

// ESM specs have no global `jest` object; Jest exposes it here.
const { jest } = import.meta;

const ROOM = 'conversation:9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f';
const KEY = ROOM;

describe(ReorderBuffer.name, () => {
  let sut: ReorderBuffer;
  let delivered: string[];
  let gaps: number[];
  let holds: number[];

  /** Moves the clock, then lets the turn of the event loop pass in which an expired deadline is acted on. */
  const advance = async (ms: number): Promise<void> => {
    jest.advanceTimersByTime(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };

  /** Offers event `seq` of `key` in `room`; delivering it records `label` (default: the seq). */
  const offer = (seq: number, key = KEY, room = ROOM, label = String(seq)): void =>
    sut.offer(room, key, seq, () => delivered.push(label));

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    delivered = [];
    gaps = [];
    holds = [];
    sut = new ReorderBuffer({ onGap: (missing) => gaps.push(missing), onHeld: (ms) => holds.push(ms) });
  });

  afterEach(() => {
    sut.close();
    jest.useRealTimers();
  });

  it('should deliver events offered in seq order at once', () => {
    for (const seq of [1, 2, 3]) offer(seq);
    expect(delivered).toEqual(['1', '2', '3']);
    expect(sut.heldCount).toBe(0);
  });

  it('should hold an event until its predecessor arrives, then deliver both in order', async () => {
    offer(1);
    offer(3);
    offer(4);
    expect(delivered).toEqual(['1']);
    await advance(30);
    offer(2);
    expect(delivered).toEqual(['1', '2', '3', '4']);
    await advance(REORDER_WAIT_MS * 4);
    expect(delivered).toEqual(['1', '2', '3', '4']);
    expect(gaps).toEqual([]);
    // Only the two that waited count as held, each for as long as it waited.
    expect(holds).toEqual([30, 30]);
  });

  it('should sort events that arrive in any order behind a gap', () => {
    offer(1);
    for (const seq of [5, 3, 4, 2]) offer(seq);
    expect(delivered).toEqual(['1', '2', '3', '4', '5']);
  });

  it('should deliver a steady interleaved stream as it arrives (the other writer’s events pass here too)', () => {
    offer(1);
    // Two writers whose commits finish slightly out of order: every gap closes at the next offer.
    for (let seq = 2; seq <= 200; seq += 2) {
      offer(seq + 1);
      offer(seq);
    }
    expect(delivered).toEqual(Array.from({ length: 201 }, (_, i) => String(i + 1)));
    expect(sut.heldCount).toBe(0);
  });

  it('should deliver seq 1 of a new stream at once', () => {
    offer(1);
    expect(delivered).toEqual(['1']);
  });

  it('should hold the first event of a stream seen above seq 1 briefly, so earlier seqs still go first', async () => {
    offer(9);
    offer(7);
    expect(delivered).toEqual([]);
    offer(8);
    await advance(FIRST_WAIT_MS - 1);
    expect(delivered).toEqual([]);
    await advance(1);
    expect(delivered).toEqual(['7', '8', '9']);
    offer(10);
    expect(delivered).toEqual(['7', '8', '9', '10']);
  });

  it('should start a stream from seq 1 as soon as it arrives, even while later ones wait', () => {
    offer(3);
    offer(1);
    expect(delivered).toEqual(['1']);
    offer(2);
    expect(delivered).toEqual(['1', '2', '3']);
  });

  it('should skip a gap that is never filled once the wait is over, and count it', async () => {
    offer(1);
    offer(4);
    offer(3);
    await advance(REORDER_WAIT_MS - 1);
    expect(delivered).toEqual(['1']);
    await advance(1);
    expect(delivered).toEqual(['1', '3', '4']);
    expect(gaps).toEqual([1]);
    offer(5);
    expect(delivered).toEqual(['1', '3', '4', '5']);
  });

  it('should delay each event at most once for its own deadline, never queue behind earlier waits', async () => {
    offer(1);
    offer(3); // waits for 2 until t = 250
    await advance(200);
    offer(5); // waits for 4 until t = 450
    await advance(50);
    expect(delivered).toEqual(['1', '3']);
    await advance(199);
    expect(delivered).toEqual(['1', '3']);
    await advance(1);
    expect(delivered).toEqual(['1', '3', '5']);
    expect(gaps).toEqual([1, 1]);
  });

  it('should release everything below an event whose deadline passed, even what arrived after it', async () => {
    offer(1);
    offer(4); // due at t = 250
    await advance(100);
    offer(3); // due at t = 350, but below 4
    await advance(150);
    expect(delivered).toEqual(['1', '3', '4']);
    expect(gaps).toEqual([1]);
  });

  it('should still deliver a late event whose successors already left, rather than lose it', async () => {
    offer(1);
    offer(3);
    await advance(REORDER_WAIT_MS);
    offer(2);
    expect(delivered).toEqual(['1', '3', '2']);
    offer(4);
    expect(delivered).toEqual(['1', '3', '2', '4']);
  });

  it('should keep the order of each stream apart', () => {
    const other = 'suggestion:other';
    offer(1);
    offer(1, other, ROOM, 'o1');
    offer(3);
    offer(2, other, ROOM, 'o2');
    expect(delivered).toEqual(['1', 'o1', 'o2']);
    offer(2);
    expect(delivered).toEqual(['1', 'o1', 'o2', '2', '3']);
  });

  it('should forget a room: its held events are dropped and its streams start again as first seen', async () => {
    offer(1);
    offer(2);
    offer(4);
    sut.forgetRoom(ROOM);
    await advance(REORDER_WAIT_MS * 2);
    expect(delivered).toEqual(['1', '2']);
    offer(9);
    expect(delivered).toEqual(['1', '2']);
    await advance(FIRST_WAIT_MS);
    expect(delivered).toEqual(['1', '2', '9']);
  });

  it('should deliver what it holds on close', () => {
    offer(1);
    offer(3);
    sut.close();
    expect(delivered).toEqual(['1', '3']);
  });
});

// Real timers and a real socket: what a stalled event loop does to a deadline.
describe(`${ReorderBuffer.name} on a stalled event loop`, () => {
  it('should let an event already waiting on the network fill its gap before the expired deadline skips it', async () => {
    const delivered: number[] = [];
    const sut = new ReorderBuffer({ waitMs: 20 });
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [peer] = await accepted;
    // Seq 2 comes over the network, as it would from another instance through Redis.
    peer.on('data', () => sut.offer(ROOM, KEY, 2, () => delivered.push(2)));
    try {
      sut.offer(ROOM, KEY, 1, () => delivered.push(1));
      sut.offer(ROOM, KEY, 3, () => delivered.push(3));
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          client.write('2');
          // The loop stalls past seq 3's deadline while seq 2 is already on its way; when it resumes, the expired
          // timer runs before the socket is read.
          const until = Date.now() + 80;
          while (Date.now() < until);
          resolve();
        }, 0),
      );
      while (delivered.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(delivered).toEqual([1, 2, 3]);
    } finally {
      sut.close();
      client.destroy();
      peer.destroy();
      server.close();
    }
  });
});
