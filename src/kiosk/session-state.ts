// The kiosk session's rules, free of I/O: which action each status allows, the time left, the countdown
// payload, and which warning thresholds a session arms when it starts or is extended.
import type { KioskSessionStatus, TimeUpdatePayload } from '../realtime/client-events.js';

export type KioskSessionAction = 'bind' | 'start' | 'extend' | 'end';

const ALLOWED: Record<KioskSessionAction, readonly KioskSessionStatus[]> = {
  // A kiosk may validate the code of a session it already runs (after a reconnect, say).
  bind: ['pending', 'active'],
  start: ['pending'],
  extend: ['pending', 'active'],
  end: ['pending', 'active'],
};

export function canTransition(status: KioskSessionStatus, action: KioskSessionAction): boolean {
  return ALLOWED[action].includes(status);
}

/** What the countdown needs of a session. */
export interface SessionClock {
  status: KioskSessionStatus;
  durationSeconds: number;
  endsAt: Date | null;
}

/**
 * Whole seconds left, rounded up (a session with 0.2 s left still shows 1): the full duration while pending,
 * 0 once ended.
 */
export function remainingSeconds(session: SessionClock, now: Date): number {
  if (session.status === 'pending') return session.durationSeconds;
  if (session.status === 'ended' || !session.endsAt) return 0;
  return Math.max(0, Math.ceil((session.endsAt.getTime() - now.getTime()) / 1000));
}

/** Share of the duration used, an integer 0..100, rounded down so that 100 means no time is left. */
export function percentUsed(durationSeconds: number, remaining: number): number {
  if (durationSeconds <= 0) return 100;
  const used = Math.floor(((durationSeconds - remaining) / durationSeconds) * 100);
  return Math.min(100, Math.max(0, used));
}

export function timeUpdate(session: SessionClock & { id: string }, now: Date): TimeUpdatePayload {
  const remaining = remainingSeconds(session, now);
  return {
    sessionId: session.id,
    remainingSeconds: remaining,
    remainingMinutes: Math.ceil(remaining / 60),
    percentUsed: percentUsed(session.durationSeconds, remaining),
    status: session.status,
  };
}

/**
 * The thresholds a session warns at, largest first: each configured one (seconds before the end) smaller than
 * the time left when the session started or was extended. Zero and negative thresholds never warn: the end
 * itself is announced by `session_terminated`.
 */
export function armedWarnings(thresholds: readonly number[], remainingMs: number): number[] {
  return [...new Set(thresholds)].filter((t) => t > 0 && t * 1000 < remainingMs).sort((a, b) => b - a);
}

/** When the next armed warning is due: the end minus the largest threshold left, or null when none is left. */
export function nextWarningAt(endsAt: Date, armed: readonly number[]): Date | null {
  if (armed.length === 0) return null;
  return new Date(endsAt.getTime() - Math.max(...armed) * 1000);
}

/**
 * The next tick after `now`: ticks fall on whole multiples of the tick period counted from the start, so a
 * late or missed tick is skipped, never replayed.
 */
export function nextTickAt(startedAt: Date, tickSeconds: number, now: Date): Date {
  const periodMs = tickSeconds * 1000;
  const elapsed = Math.max(0, now.getTime() - startedAt.getTime());
  return new Date(startedAt.getTime() + (Math.floor(elapsed / periodMs) + 1) * periodMs);
}

export const TERMINATION_MESSAGES: Record<'expired' | 'closed' | 'admin', string> = {
  expired: 'The session time is over',
  closed: 'The session was closed',
  admin: 'The session was ended by an administrator',
};
