import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Suggestions1763770300000 implements MigrationInterface {
  name = 'Suggestions1763770300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "suggestions" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "author_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "title" text NOT NULL,
        "description" text NOT NULL DEFAULT '',
        "status" text NOT NULL DEFAULT 'open' CHECK ("status" IN ('open', 'closed')),
        "upvotes" integer NOT NULL DEFAULT 0 CHECK ("upvotes" >= 0),
        "downvotes" integer NOT NULL DEFAULT 0 CHECK ("downvotes" >= 0),
        "score" integer GENERATED ALWAYS AS ("upvotes" - "downvotes") STORED,
        "version" integer NOT NULL DEFAULT 1,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "suggestions_recent_idx" ON "suggestions" ("created_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "suggestions_score_idx" ON "suggestions" ("score" DESC, "created_at" DESC, "id" DESC)`);
    await q.query(`CREATE INDEX "suggestions_author_idx" ON "suggestions" ("author_id")`);
    await q.query(`
      CREATE TABLE "suggestion_votes" (
        "suggestion_id" uuid NOT NULL REFERENCES "suggestions" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "value" smallint NOT NULL CHECK ("value" IN (1, -1)),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("suggestion_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "suggestion_votes_user_idx" ON "suggestion_votes" ("user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "suggestion_votes"`);
    await q.query(`DROP TABLE "suggestions"`);
  }
}
