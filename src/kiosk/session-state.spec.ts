import {
  armedWarnings,
  canTransition,
  nextTickAt,
  nextWarningAt,
  percentUsed,
  remainingSeconds,
  timeUpdate,
} from './session-state.js';

const ID = '0a000000-0000-4000-8000-000000000001';
const START = new Date('2025-11-22T10:00:00.000Z');
const at = (ms: number): Date => new Date(START.getTime() + ms);

describe('session-state', () => {
  describe(canTransition.name, () => {
    it('should start only a pending session', () => {
      expect(canTransition('pending', 'start')).toBe(true);
      expect(canTransition('active', 'start')).toBe(false);
      expect(canTransition('ended', 'start')).toBe(false);
    });

    it('should extend and end pending and active sessions, never ended ones', () => {
      for (const action of ['extend', 'end'] as const) {
        expect(canTransition('pending', action)).toBe(true);
        expect(canTransition('active', action)).toBe(true);
        expect(canTransition('ended', action)).toBe(false);
      }
    });

    it('should bind a live session and refuse an ended one', () => {
      expect(canTransition('pending', 'bind')).toBe(true);
      expect(canTransition('active', 'bind')).toBe(true);
      expect(canTransition('ended', 'bind')).toBe(false);
    });
  });

  describe(remainingSeconds.name, () => {
    it('should answer the whole duration while pending and 0 once ended', () => {
      expect(remainingSeconds({ status: 'pending', durationSeconds: 90, endsAt: null }, START)).toBe(90);
      expect(remainingSeconds({ status: 'ended', durationSeconds: 90, endsAt: at(30_000) }, START)).toBe(0);
    });

    it('should round the time left up to whole seconds and never go below 0', () => {
      const session = { status: 'active' as const, durationSeconds: 60, endsAt: at(60_000) };
      expect(remainingSeconds(session, at(0))).toBe(60);
      expect(remainingSeconds(session, at(1))).toBe(60);
      expect(remainingSeconds(session, at(59_001))).toBe(1);
      expect(remainingSeconds(session, at(60_000))).toBe(0);
      expect(remainingSeconds(session, at(75_000))).toBe(0);
    });
  });

  describe(percentUsed.name, () => {
    it('should answer an integer 0..100 rounded down', () => {
      expect(percentUsed(60, 60)).toBe(0);
      expect(percentUsed(60, 1)).toBe(98);
      expect(percentUsed(60, 0)).toBe(100);
      expect(percentUsed(3, 2)).toBe(33);
      expect(percentUsed(60, 90)).toBe(0);
    });
  });

  describe(timeUpdate.name, () => {
    it('should build the time_update payload with minutes rounded up', () => {
      const payload = timeUpdate({ id: ID, status: 'active', durationSeconds: 600, endsAt: at(600_000) }, at(30_500));
      expect(payload).toEqual({
        sessionId: ID,
        remainingSeconds: 570,
        remainingMinutes: 10,
        percentUsed: 5,
        status: 'active',
      });
      expect(
        timeUpdate({ id: ID, status: 'active', durationSeconds: 600, endsAt: at(600_000) }, at(541_000)),
      ).toMatchObject({ remainingSeconds: 59, remainingMinutes: 1 });
    });
  });

  describe(armedWarnings.name, () => {
    it('should arm each threshold smaller than the time left, largest first', () => {
      expect(armedWarnings([300, 60], 3600_000)).toEqual([300, 60]);
      expect(armedWarnings([60, 300], 120_000)).toEqual([60]);
      expect(armedWarnings([300, 60], 60_000)).toEqual([]);
      expect(armedWarnings([300, 60], 60_001)).toEqual([60]);
    });

    it('should ignore zero, negative and repeated thresholds', () => {
      expect(armedWarnings([0, 60, 60, -5], 600_000)).toEqual([60]);
    });
  });

  describe(nextWarningAt.name, () => {
    it('should answer the end minus the largest armed threshold, or null when none is left', () => {
      expect(nextWarningAt(at(600_000), [300, 60])).toEqual(at(300_000));
      expect(nextWarningAt(at(600_000), [])).toBeNull();
    });
  });

  describe(nextTickAt.name, () => {
    it('should answer the next whole multiple of the period after now, skipping missed ones', () => {
      expect(nextTickAt(START, 60, at(0))).toEqual(at(60_000));
      expect(nextTickAt(START, 60, at(60_000))).toEqual(at(120_000));
      expect(nextTickAt(START, 60, at(60_250))).toEqual(at(120_000));
      // Down for three periods: the missed ticks are not replayed.
      expect(nextTickAt(START, 60, at(200_000))).toEqual(at(240_000));
    });
  });
});
