import { voteTransition, type VoteValue } from './vote-transition.js';

describe(voteTransition.name, () => {
  it('should count a first upvote and a first downvote', () => {
    expect(voteTransition(0, 1)).toEqual({ changed: true, upvotes: 1, downvotes: 0 });
    expect(voteTransition(0, -1)).toEqual({ changed: true, upvotes: 0, downvotes: 1 });
  });

  it('should move one vote from up to down and back when switching', () => {
    expect(voteTransition(1, -1)).toEqual({ changed: true, upvotes: -1, downvotes: 1 });
    expect(voteTransition(-1, 1)).toEqual({ changed: true, upvotes: 1, downvotes: -1 });
  });

  it('should remove the vote when retracting', () => {
    expect(voteTransition(1, 0)).toEqual({ changed: true, upvotes: -1, downvotes: 0 });
    expect(voteTransition(-1, 0)).toEqual({ changed: true, upvotes: 0, downvotes: -1 });
  });

  it('should change nothing when repeating a vote or retracting none', () => {
    for (const value of [-1, 0, 1] as VoteValue[]) {
      expect(voteTransition(value, value)).toEqual({ changed: false, upvotes: 0, downvotes: 0 });
    }
  });

  it('should keep the counts equal to a recount over any sequence of votes', () => {
    const values: VoteValue[] = [1, -1, 0, 1, 1, 0, -1, -1, 1, 0];
    let previous: VoteValue = 0;
    let up = 0;
    let down = 0;
    for (const next of values) {
      const t = voteTransition(previous, next);
      up += t.upvotes;
      down += t.downvotes;
      previous = next;
      expect(up).toBe(previous === 1 ? 1 : 0);
      expect(down).toBe(previous === -1 ? 1 : 0);
    }
  });
});
