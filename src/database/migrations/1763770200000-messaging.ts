import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Messaging1763770200000 implements MigrationInterface {
  name = 'Messaging1763770200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "conversations" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "kind" text NOT NULL CHECK ("kind" IN ('direct', 'group')),
        "title" text,
        "direct_key" text,
        "created_by" uuid REFERENCES "users" ("id") ON DELETE SET NULL,
        "last_seq" integer NOT NULL DEFAULT 0 CHECK ("last_seq" >= 0),
        "last_activity_at" timestamptz NOT NULL DEFAULT now(),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "conversations_direct_key_check" CHECK (("kind" = 'direct') = ("direct_key" IS NOT NULL))
      )`);
    // One direct conversation per pair: creates race on this index (INSERT ... ON CONFLICT DO NOTHING).
    await q.query(`CREATE UNIQUE INDEX "conversations_direct_key_key" ON "conversations" ("direct_key")`);
    await q.query(
      `CREATE INDEX "conversations_last_activity_idx" ON "conversations" ("last_activity_at" DESC, "id" DESC)`,
    );
    await q.query(`
      CREATE TABLE "conversation_members" (
        "conversation_id" uuid NOT NULL REFERENCES "conversations" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "last_read_seq" integer NOT NULL DEFAULT 0 CHECK ("last_read_seq" >= 0),
        "joined_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "conversation_members_pkey" PRIMARY KEY ("conversation_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "conversation_members_user_id_idx" ON "conversation_members" ("user_id")`);
    await q.query(`
      CREATE TABLE "messages" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "conversation_id" uuid NOT NULL REFERENCES "conversations" ("id") ON DELETE CASCADE,
        "seq" integer NOT NULL CHECK ("seq" > 0),
        "sender_id" uuid NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "body" text NOT NULL CHECK (char_length("body") BETWEEN 1 AND 4000),
        "client_id" text CHECK (char_length("client_id") BETWEEN 1 AND 100),
        "created_at" timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT "messages_conversation_seq_key" UNIQUE ("conversation_id", "seq"),
        CONSTRAINT "messages_client_id_key" UNIQUE ("conversation_id", "sender_id", "client_id")
      )`);
    await q.query(`CREATE INDEX "messages_sender_id_idx" ON "messages" ("sender_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messages"`);
    await q.query(`DROP TABLE "conversation_members"`);
    await q.query(`DROP TABLE "conversations"`);
  }
}
