// What a vote does to a suggestion's counts: the one rule behind voting, switching, repeating and retracting.

export type VoteValue = -1 | 0 | 1;

export interface VoteTransition {
  /** False for a repeat (same value again, or retracting a vote that does not exist): nothing to write or publish. */
  changed: boolean;
  upvotes: number;
  downvotes: number;
}

/** The change in (upvotes, downvotes) when a user's vote goes from `previous` to `next` (0 = no vote). */
export function voteTransition(previous: VoteValue, next: VoteValue): VoteTransition {
  if (previous === next) return { changed: false, upvotes: 0, downvotes: 0 };
  const count = (v: VoteValue) => ({ up: v === 1 ? 1 : 0, down: v === -1 ? 1 : 0 });
  const before = count(previous);
  const after = count(next);
  return { changed: true, upvotes: after.up - before.up, downvotes: after.down - before.down };
}
