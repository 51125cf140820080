import type { JobDto, JobEventDto } from './dto/job.dto.js';
import { elapsedSeconds, type JobEventType } from './job-state.js';
import type { Job } from './job.entity.js';

export function toJobDto(job: Job, now = new Date()): JobDto {
  return {
    id: job.id,
    ownerId: job.ownerId,
    name: job.name,
    status: job.status,
    progress: {
      itemsScraped: job.itemsScraped,
      pagesScraped: job.pagesScraped,
      currentPage: job.currentPage,
      totalPages: job.totalPages,
      elapsedTime: elapsedSeconds(job.startedAt, job.finishedAt, now),
    },
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export function toJobEventDto(
  jobId: string,
  event: { seq: number; type: JobEventType; data: Record<string, unknown>; createdAt: Date },
): JobEventDto {
  return { type: event.type, jobId, seq: event.seq, timestamp: event.createdAt.toISOString(), data: event.data };
}
