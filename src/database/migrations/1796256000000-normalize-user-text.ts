import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Display names and emails in NFC, the form they are now kept in as they come in (src/auth/account-text.ts): stored as
 * typed, a name typed on macOS (decomposed, "e" + U+0301) was not found by a search typed elsewhere ("é"), and an
 * address in the other form registered a second account. An email whose NFC form another account already holds is left
 * as it is: two accounts the defect let in, and which of them is the person's is not for a migration to decide (logins
 * reach the one in NFC). Where several forms of one address wait, the oldest account takes the NFC one.
 */
export class NormalizeUserText1796256000000 implements MigrationInterface {
  name = 'NormalizeUserText1796256000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE "users" SET "display_name" = normalize("display_name", NFC) WHERE "display_name" IS NOT NFC NORMALIZED`,
    );
    await q.query(`
      UPDATE "users" u SET "email" = n."email"
      FROM (
        SELECT DISTINCT ON (normalize("email", NFC)) "id", normalize("email", NFC) AS "email"
        FROM "users" WHERE "email" IS NOT NFC NORMALIZED
        ORDER BY normalize("email", NFC), "created_at", "id"
      ) n
      WHERE u."id" = n."id" AND NOT EXISTS (SELECT 1 FROM "users" o WHERE o."email" = n."email")`);
  }

  async down(): Promise<void> {
    // The forms they were typed in are not kept, and the previous version reads NFC as it reads any text.
  }
}
