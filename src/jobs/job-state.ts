// The job state machine: which event may follow which status, and what each event does to the job. Pure, so the
// write path and its unit spec share one table.

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_EVENT_TYPES = ['job_started', 'job_progress', 'item_scraped', 'job_completed', 'job_failed'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** The status each event type may be applied in (the contract's transition table). */
export const ALLOWED_FROM: Readonly<Record<JobEventType, readonly JobStatus[]>> = {
  job_started: ['pending'],
  job_progress: ['running'],
  item_scraped: ['running'],
  job_completed: ['running'],
  job_failed: ['pending', 'running'],
};

/** Largest value a counter of the job holds (an integer column); `item_scraped` stops counting there. */
export const MAX_COUNT = 2_147_483_647;

/** Statuses a worker token works in; the others are final. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['pending', 'running'];

export function isActive(status: JobStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** What the events change on a job row. */
export interface JobState {
  status: JobStatus;
  itemsScraped: number;
  pagesScraped: number;
  currentPage: number;
  totalPages: number | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type JobProgressData = {
  itemsScraped?: number;
  pagesScraped?: number;
  currentPage?: number;
  totalPages?: number;
};

/** An event whose `data` has been validated for its type. */
export type JobEventInput =
  | { type: 'job_started'; data: { totalPages?: number } }
  | { type: 'job_progress'; data: JobProgressData }
  | { type: 'item_scraped'; data: { item: Record<string, unknown> } }
  | { type: 'job_completed'; data: { summary?: unknown } }
  | { type: 'job_failed'; data: { error: string } };

export function canApply(status: JobStatus, type: JobEventType): boolean {
  return ALLOWED_FROM[type].includes(status);
}

/** The job after `event` happened at `at`, or `null` when the event may not follow the job's status. */
export function applyJobEvent(state: JobState, event: JobEventInput, at: Date): JobState | null {
  if (!canApply(state.status, event.type)) return null;
  switch (event.type) {
    case 'job_started':
      return {
        ...state,
        status: 'running',
        startedAt: at,
        totalPages: event.data.totalPages ?? state.totalPages,
      };
    case 'job_progress':
      return {
        ...state,
        itemsScraped: event.data.itemsScraped ?? state.itemsScraped,
        pagesScraped: event.data.pagesScraped ?? state.pagesScraped,
        currentPage: event.data.currentPage ?? state.currentPage,
        totalPages: event.data.totalPages ?? state.totalPages,
      };
    case 'item_scraped':
      return { ...state, itemsScraped: Math.min(state.itemsScraped + 1, MAX_COUNT) };
    case 'job_completed':
      return { ...state, status: 'completed', finishedAt: at };
    case 'job_failed':
      return { ...state, status: 'failed', error: event.data.error, finishedAt: at };
  }
}

/** Whole seconds the job has run: until it finished, or until `now` while it runs; 0 before it starts. */
export function elapsedSeconds(startedAt: Date | null, finishedAt: Date | null, now: Date): number {
  if (!startedAt) return 0;
  const end = finishedAt ?? now;
  return Math.max(0, Math.floor((end.getTime() - startedAt.getTime()) / 1000));
}
