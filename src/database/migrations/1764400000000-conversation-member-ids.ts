import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The member ids of each conversation, on its row, kept by a trigger on conversation_members. Appending a message
 * checks membership and reads the receivers from this row in the statement that takes the row's lock: Postgres
 * re-reads a locked row after waiting, but not the other tables of a statement, so a leave that committed while an
 * append waited could otherwise still be seen as a member (issue 14, item 10).
 */
export class ConversationMemberIds1764400000000 implements MigrationInterface {
  name = 'ConversationMemberIds1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "conversations" ADD COLUMN "member_ids" uuid[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      UPDATE "conversations" c SET "member_ids" = COALESCE(
        (SELECT array_agg(cm."user_id" ORDER BY cm."joined_at", cm."user_id")
         FROM "conversation_members" cm WHERE cm."conversation_id" = c."id"),
        '{}')`);
    await q.query(`
      CREATE FUNCTION "conversation_member_ids_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE "conversations" SET "member_ids" = array_append("member_ids", NEW."user_id")
          WHERE "id" = NEW."conversation_id";
        ELSE
          UPDATE "conversations" SET "member_ids" = array_remove("member_ids", OLD."user_id")
          WHERE "id" = OLD."conversation_id";
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER "conversation_members_member_ids"
      AFTER INSERT OR DELETE ON "conversation_members"
      FOR EACH ROW EXECUTE FUNCTION "conversation_member_ids_sync"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "conversation_members_member_ids" ON "conversation_members"`);
    await q.query(`DROP FUNCTION "conversation_member_ids_sync"()`);
    await q.query(`ALTER TABLE "conversations" DROP COLUMN "member_ids"`);
  }
}
