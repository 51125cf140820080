import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Jobs1763770600000 implements MigrationInterface {
  name = 'Jobs1763770600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "jobs" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "owner_id" uuid NOT NULL,
        "name" text NOT NULL,
        "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'running', 'completed', 'failed')),
        "items_scraped" integer NOT NULL DEFAULT 0 CHECK ("items_scraped" >= 0),
        "pages_scraped" integer NOT NULL DEFAULT 0 CHECK ("pages_scraped" >= 0),
        "current_page" integer NOT NULL DEFAULT 0 CHECK ("current_page" >= 0),
        "total_pages" integer CHECK ("total_pages" >= 0),
        "error" text,
        "token_version" integer NOT NULL DEFAULT 0,
        "last_seq" integer NOT NULL DEFAULT 0,
        "last_event_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "started_at" timestamptz,
        "finished_at" timestamptz,
        CONSTRAINT "jobs_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    // Lists: own jobs and all jobs, newest first.
    await q.query(`CREATE INDEX "jobs_owner_created_idx" ON "jobs" ("owner_id", "created_at", "id")`);
    await q.query(`CREATE INDEX "jobs_created_idx" ON "jobs" ("created_at", "id")`);
    // The stall sweep looks only at running jobs.
    await q.query(`CREATE INDEX "jobs_running_last_event_idx" ON "jobs" ("last_event_at") WHERE "status" = 'running'`);
    await q.query(`
      CREATE TABLE "job_events" (
        "job_id" uuid NOT NULL,
        "seq" integer NOT NULL CHECK ("seq" > 0),
        "type" text NOT NULL CHECK ("type" IN ('job_started', 'job_progress', 'item_scraped', 'job_completed', 'job_failed')),
        "data" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "job_events_pkey" PRIMARY KEY ("job_id", "seq"),
        CONSTRAINT "job_events_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs" ("id") ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "job_events"`);
    await q.query(`DROP TABLE "jobs"`);
  }
}
