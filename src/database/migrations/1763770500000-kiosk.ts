import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Kiosk1763770500000 implements MigrationInterface {
  name = 'Kiosk1763770500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "workstations" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "ip_address" text,
        "status" text NOT NULL DEFAULT 'offline' CHECK ("status" IN ('available', 'occupied', 'offline')),
        "token_version" integer NOT NULL DEFAULT 0,
        "last_seen_at" timestamptz,
        "offline_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "workstations_created_at_idx" ON "workstations" ("created_at", "id")`);
    await q.query(`CREATE INDEX "workstations_status_idx" ON "workstations" ("status")`);
    // The scheduler's claim of workstations due to go offline.
    await q.query(
      `CREATE INDEX "workstations_offline_at_idx" ON "workstations" ("offline_at") WHERE "offline_at" IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE "kiosk_sessions" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "access_code" text NOT NULL CHECK ("access_code" ~ '^[A-Z0-9]{6}$'),
        "holder_name" text,
        "workstation_id" uuid REFERENCES "workstations" ("id") ON DELETE SET NULL,
        "duration_seconds" integer NOT NULL CHECK ("duration_seconds" > 0),
        "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'active', 'ended')),
        "started_at" timestamptz,
        "ends_at" timestamptz,
        "ended_at" timestamptz,
        "end_reason" text CHECK ("end_reason" IN ('expired', 'closed', 'admin')),
        "next_tick_at" timestamptz,
        "next_warning_at" timestamptz,
        "warnings_left" integer[] NOT NULL DEFAULT '{}',
        "version" integer NOT NULL DEFAULT 1,
        "event_seq" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CHECK (("status" = 'ended') = ("end_reason" IS NOT NULL)),
        CHECK ("status" <> 'active' OR ("started_at" IS NOT NULL AND "ends_at" IS NOT NULL))
      )`);
    // A code identifies one live session; once its session ends the code may be drawn again.
    await q.query(
      `CREATE UNIQUE INDEX "kiosk_sessions_access_code_live_key" ON "kiosk_sessions" ("access_code") WHERE "status" <> 'ended'`,
    );
    // A workstation runs one session at a time.
    await q.query(
      `CREATE UNIQUE INDEX "kiosk_sessions_workstation_active_key" ON "kiosk_sessions" ("workstation_id") WHERE "status" = 'active'`,
    );
    await q.query(`CREATE INDEX "kiosk_sessions_access_code_idx" ON "kiosk_sessions" ("access_code")`);
    await q.query(`CREATE INDEX "kiosk_sessions_workstation_id_idx" ON "kiosk_sessions" ("workstation_id")`);
    await q.query(`CREATE INDEX "kiosk_sessions_created_at_idx" ON "kiosk_sessions" ("created_at", "id")`);
    await q.query(
      `CREATE INDEX "kiosk_sessions_status_created_at_idx" ON "kiosk_sessions" ("status", "created_at", "id")`,
    );
    // The scheduler's claims (expiry, warnings, ticks) and the dashboard's "ended today".
    await q.query(
      `CREATE INDEX "kiosk_sessions_ends_at_idx" ON "kiosk_sessions" ("ends_at") WHERE "status" = 'active'`,
    );
    await q.query(
      `CREATE INDEX "kiosk_sessions_next_tick_at_idx" ON "kiosk_sessions" ("next_tick_at") WHERE "status" = 'active'`,
    );
    await q.query(
      `CREATE INDEX "kiosk_sessions_next_warning_at_idx" ON "kiosk_sessions" ("next_warning_at") WHERE "status" = 'active' AND "next_warning_at" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "kiosk_sessions_ended_at_idx" ON "kiosk_sessions" ("ended_at") WHERE "status" = 'ended'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "kiosk_sessions"`);
    await q.query(`DROP TABLE "workstations"`);
  }
}
