import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1763770100000 implements MigrationInterface {
  name = 'Notifications1763770100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "notification_counters" (
        "user_id" uuid PRIMARY KEY REFERENCES "users" ("id") ON DELETE CASCADE,
        "last_seq" integer NOT NULL DEFAULT 0 CHECK ("last_seq" >= 0),
        "unread_count" integer NOT NULL DEFAULT 0 CHECK ("unread_count" >= 0),
        "version" integer NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE "notifications" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "seq" integer NOT NULL,
        "type" text NOT NULL,
        "title" text NOT NULL,
        "body" text,
        "data" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "read_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    // Newest-first pages and `afterSeq` resyncs are range scans on this index.
    await q.query(`CREATE UNIQUE INDEX "notifications_user_seq_key" ON "notifications" ("user_id", "seq")`);
    // `?unread=true` and read-all touch only unread rows.
    await q.query(
      `CREATE INDEX "notifications_user_unread_idx" ON "notifications" ("user_id", "seq") WHERE "read_at" IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "notifications"`);
    await q.query(`DROP TABLE "notification_counters"`);
  }
}
