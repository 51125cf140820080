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

  /** Offers event `seq` of `key` in `room`; delivering it records `label` (default: the seq). */
  const offer = (seq: number, key = KEY, room = ROOM, label = String(seq)): void =>
    sut.offer(room, key, seq, () => delivered.push(label));

  beforeEach(() => {
    jest.useFakeTimers();
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

  it('should hold an event until its predecessor arrives, then deliver both in order', () => {
    offer(1);
    offer(3);
    offer(4);
    expect(delivered).toEqual(['1']);
    jest.advanceTimersByTime(30);
    offer(2);
    expect(delivered).toEqual(['1', '2', '3', '4']);
    jest.advanceTimersByTime(REORDER_WAIT_MS * 4);
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

  it('should hold the first event of a stream seen above seq 1 briefly, so earlier seqs still go first', () => {
    offer(9);
    offer(7);
    expect(delivered).toEqual([]);
    offer(8);
    jest.advanceTimersByTime(FIRST_WAIT_MS - 1);
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(1);
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

  it('should skip a gap that is never filled once the wait is over, and count it', () => {
    offer(1);
    offer(4);
    offer(3);
    jest.advanceTimersByTime(REORDER_WAIT_MS - 1);
    expect(delivered).toEqual(['1']);
    jest.advanceTimersByTime(1);
    expect(delivered).toEqual(['1', '3', '4']);
    expect(gaps).toEqual([1]);
    offer(5);
    expect(delivered).toEqual(['1', '3', '4', '5']);
  });

  it('should delay each event at most once for its own deadline, never queue behind earlier waits', () => {
    offer(1);
    offer(3); // waits for 2 until t = 250
    jest.advanceTimersByTime(200);
    offer(5); // waits for 4 until t = 450
    jest.advanceTimersByTime(50);
    expect(delivered).toEqual(['1', '3']);
    jest.advanceTimersByTime(199);
    expect(delivered).toEqual(['1', '3']);
    jest.advanceTimersByTime(1);
    expect(delivered).toEqual(['1', '3', '5']);
    expect(gaps).toEqual([1, 1]);
  });

  it('should release everything below an event whose deadline passed, even what arrived after it', () => {
    offer(1);
    offer(4); // due at t = 250
    jest.advanceTimersByTime(100);
    offer(3); // due at t = 350, but below 4
    jest.advanceTimersByTime(150);
    expect(delivered).toEqual(['1', '3', '4']);
    expect(gaps).toEqual([1]);
  });

  it('should still deliver a late event whose successors already left, rather than lose it', () => {
    offer(1);
    offer(3);
    jest.advanceTimersByTime(REORDER_WAIT_MS);
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

  it('should forget a room: its held events are dropped and its streams start again as first seen', () => {
    offer(1);
    offer(2);
    offer(4);
    sut.forgetRoom(ROOM);
    jest.advanceTimersByTime(REORDER_WAIT_MS * 2);
    expect(delivered).toEqual(['1', '2']);
    offer(9);
    expect(delivered).toEqual(['1', '2']);
    jest.advanceTimersByTime(FIRST_WAIT_MS);
    expect(delivered).toEqual(['1', '2', '9']);
  });

  it('should deliver what it holds on close', () => {
    offer(1);
    offer(3);
    sut.close();
    expect(delivered).toEqual(['1', '3']);
  });
});
