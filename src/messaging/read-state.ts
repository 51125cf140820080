// Read-state arithmetic. Unread counts come from seqs alone (O(1)), never from counting rows.

/** Messages after the member's read mark. */
export function unreadCount(lastSeq: number, lastReadSeq: number): number {
  return Math.max(0, lastSeq - lastReadSeq);
}

/** The read mark after a member asks for `requested`: never backwards, never past the last seq. */
export function nextReadSeq(current: number, requested: number, lastSeq: number): number {
  return Math.max(current, Math.min(requested, lastSeq));
}

/** The key that makes a direct conversation unique per pair, whichever member creates it. */
export function directKey(a: string, b: string): string {
  const [first, second] = [a.toLowerCase(), b.toLowerCase()].sort();
  return `${first}:${second}`;
}
