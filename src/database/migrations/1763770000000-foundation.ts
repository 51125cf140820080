import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763770000000 implements MigrationInterface {
  name = 'Foundation1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "app_secrets" (
        "name" text PRIMARY KEY,
        "value" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "users" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "email" text NOT NULL,
        "password_hash" text NOT NULL,
        "display_name" text NOT NULL,
        "role" text NOT NULL DEFAULT 'user' CHECK ("role" IN ('admin', 'user')),
        "disabled" boolean NOT NULL DEFAULT false,
        "token_version" integer NOT NULL DEFAULT 0,
        "last_seen_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_email_key" ON "users" ("email")`);
    // Prefix search on name or email (lower(...) LIKE 'x%').
    await q.query(`CREATE INDEX "users_display_name_prefix_idx" ON "users" (lower("display_name") text_pattern_ops)`);
    await q.query(`CREATE INDEX "users_email_prefix_idx" ON "users" ("email" text_pattern_ops)`);
    await q.query(`CREATE INDEX "users_created_at_idx" ON "users" ("created_at")`);
    await q.query(`CREATE INDEX "users_last_seen_at_idx" ON "users" ("last_seen_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP TABLE "app_secrets"`);
  }
}
