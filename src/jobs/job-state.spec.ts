import {
  ALLOWED_FROM,
  applyJobEvent,
  canApply,
  elapsedSeconds,
  JOB_EVENT_TYPES,
  JOB_STATUSES,
  type JobEventInput,
  type JobEventType,
  type JobState,
  type JobStatus,
  MAX_COUNT,
} from './job-state.js';

const AT = new Date('2025-06-01T12:00:00.000Z');
const STARTED = new Date('2025-06-01T11:00:00.000Z');

function state(overrides: Partial<JobState> = {}): JobState {
  return {
    status: 'pending',
    itemsScraped: 0,
    pagesScraped: 0,
    currentPage: 0,
    totalPages: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

const running = (overrides: Partial<JobState> = {}) => state({ status: 'running', startedAt: STARTED, ...overrides });

const SAMPLE: Record<JobEventType, JobEventInput> = {
  job_started: { type: 'job_started', data: {} },
  job_progress: { type: 'job_progress', data: { pagesScraped: 1 } },
  item_scraped: { type: 'item_scraped', data: { item: { a: 1 } } },
  job_completed: { type: 'job_completed', data: {} },
  job_failed: { type: 'job_failed', data: { error: 'boom' } },
};

/** The contract's table, written out independently of ALLOWED_FROM. */
const CONTRACT: [JobStatus, JobEventType, boolean][] = [
  ['pending', 'job_started', true],
  ['pending', 'job_progress', false],
  ['pending', 'item_scraped', false],
  ['pending', 'job_completed', false],
  ['pending', 'job_failed', true],
  ['running', 'job_started', false],
  ['running', 'job_progress', true],
  ['running', 'item_scraped', true],
  ['running', 'job_completed', true],
  ['running', 'job_failed', true],
  ...JOB_EVENT_TYPES.flatMap((type): [JobStatus, JobEventType, boolean][] => [
    ['completed', type, false],
    ['failed', type, false],
  ]),
];

describe('job-state', () => {
  describe(canApply.name, () => {
    it.each(CONTRACT)('should answer for a %s job and %s: %s', (status, type, allowed) => {
      expect(canApply(status, type)).toBe(allowed);
    });

    it('should cover every status and type of the table', () => {
      expect(CONTRACT).toHaveLength(JOB_STATUSES.length * JOB_EVENT_TYPES.length);
      expect(Object.keys(ALLOWED_FROM).sort()).toEqual([...JOB_EVENT_TYPES].sort());
    });
  });

  describe(applyJobEvent.name, () => {
    it.each(CONTRACT.filter(([, , allowed]) => !allowed))('should refuse (null) a %s job given %s', (status, type) => {
      expect(applyJobEvent(state({ status }), SAMPLE[type], AT)).toBeNull();
    });

    it('should start a pending job: running, startedAt, totalPages when given', () => {
      expect(applyJobEvent(state(), { type: 'job_started', data: { totalPages: 7 } }, AT)).toEqual(
        state({ status: 'running', startedAt: AT, totalPages: 7 }),
      );
    });

    it('should keep a known totalPages when job_started gives none', () => {
      expect(applyJobEvent(state({ totalPages: 3 }), { type: 'job_started', data: {} }, AT)?.totalPages).toBe(3);
    });

    it('should set only the progress fields job_progress gives', () => {
      const before = running({ itemsScraped: 5, pagesScraped: 2, currentPage: 2, totalPages: 10 });
      expect(applyJobEvent(before, { type: 'job_progress', data: { pagesScraped: 3, currentPage: 4 } }, AT)).toEqual({
        ...before,
        pagesScraped: 3,
        currentPage: 4,
      });
    });

    it('should set zeros given by job_progress', () => {
      const before = running({ itemsScraped: 5, currentPage: 2 });
      const after = applyJobEvent(before, { type: 'job_progress', data: { itemsScraped: 0, currentPage: 0 } }, AT);
      expect(after).toMatchObject({ itemsScraped: 0, currentPage: 0 });
    });

    it('should count one item per item_scraped', () => {
      const once = applyJobEvent(running({ itemsScraped: 41 }), SAMPLE.item_scraped, AT)!;
      expect(once.itemsScraped).toBe(42);
      expect(applyJobEvent(once, SAMPLE.item_scraped, AT)!.itemsScraped).toBe(43);
    });

    it('should stop counting items at the largest value its column holds', () => {
      const full = applyJobEvent(running({ itemsScraped: MAX_COUNT }), SAMPLE.item_scraped, AT)!;
      expect(full.itemsScraped).toBe(MAX_COUNT);
    });

    it('should complete a running job with finishedAt and keep its progress', () => {
      const before = running({ itemsScraped: 9 });
      expect(applyJobEvent(before, SAMPLE.job_completed, AT)).toEqual({
        ...before,
        status: 'completed',
        finishedAt: AT,
      });
    });

    it.each<JobStatus>(['pending', 'running'])('should fail a %s job with its error and finishedAt', (status) => {
      expect(applyJobEvent(state({ status }), { type: 'job_failed', data: { error: 'timeout' } }, AT)).toMatchObject({
        status: 'failed',
        error: 'timeout',
        finishedAt: AT,
      });
    });

    it('should not change the state it was given', () => {
      const before = running();
      const copy = { ...before };
      applyJobEvent(before, SAMPLE.job_completed, AT);
      expect(before).toEqual(copy);
    });
  });

  describe(elapsedSeconds.name, () => {
    it('should be 0 before the job starts', () => {
      expect(elapsedSeconds(null, null, AT)).toBe(0);
    });

    it('should count whole seconds until now while running', () => {
      expect(elapsedSeconds(STARTED, null, new Date(STARTED.getTime() + 90_900))).toBe(90);
    });

    it('should stop at finishedAt', () => {
      expect(elapsedSeconds(STARTED, AT, new Date(AT.getTime() + 1_000_000))).toBe(3600);
    });

    it('should never be negative (clock skew between instances)', () => {
      expect(elapsedSeconds(AT, null, STARTED)).toBe(0);
    });
  });
});
