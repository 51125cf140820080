import { directKey, nextReadSeq, unreadCount } from './read-state.js';

const A = '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const B = '9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f';

describe('read-state', () => {
  describe(unreadCount.name, () => {
    it('should count the messages after the read mark', () => {
      expect(unreadCount(10, 4)).toBe(6);
      expect(unreadCount(10, 10)).toBe(0);
      expect(unreadCount(0, 0)).toBe(0);
    });

    it('should never be negative', () => {
      expect(unreadCount(3, 5)).toBe(0);
    });
  });

  describe(nextReadSeq.name, () => {
    it('should move the mark forward', () => {
      expect(nextReadSeq(2, 7, 10)).toBe(7);
    });

    it('should never move the mark back', () => {
      expect(nextReadSeq(7, 2, 10)).toBe(7);
      expect(nextReadSeq(7, 0, 10)).toBe(7);
    });

    it('should clamp a seq past the last one to the last one', () => {
      expect(nextReadSeq(2, 1000, 10)).toBe(10);
      expect(nextReadSeq(0, 5, 0)).toBe(0);
    });
  });

  describe(directKey.name, () => {
    it('should be the same whichever member creates the conversation', () => {
      expect(directKey(A, B)).toBe(directKey(B, A));
      expect(directKey(A.toUpperCase(), B)).toBe(directKey(B, A));
    });

    it('should differ between pairs', () => {
      expect(directKey(A, B)).not.toBe(directKey(A, A));
    });
  });
});
