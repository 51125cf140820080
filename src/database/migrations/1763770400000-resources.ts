import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Resources1763770400000 implements MigrationInterface {
  name = 'Resources1763770400000';

  async up(q: QueryRunner): Promise<void> {
    // The name's length (1..200) is checked by the API, which counts characters as the validator does.
    await q.query(`
      CREATE TABLE "resources" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "owner_id" uuid NOT NULL,
        "name" text NOT NULL,
        "visibility" text NOT NULL CHECK ("visibility" IN ('public', 'private')),
        "data" jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof("data") = 'object'),
        "version" integer NOT NULL DEFAULT 1 CHECK ("version" >= 1),
        "updated_by" uuid,
        "updated_at" timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "resources_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "resources_updated_by_fkey" FOREIGN KEY ("updated_by") REFERENCES "users" ("id") ON DELETE SET NULL
      )`);
    // Lists are newest-updated first with (updated_at, id) keyset cursors; a backward scan serves DESC.
    await q.query(`CREATE INDEX "resources_updated_at_id_idx" ON "resources" ("updated_at", "id")`);
    await q.query(`CREATE INDEX "resources_owner_id_idx" ON "resources" ("owner_id")`);
    await q.query(`CREATE INDEX "resources_updated_by_idx" ON "resources" ("updated_by")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "resources"`);
  }
}
