// The `users.last_seen_at` column: written when presence announces a user offline or online, read for users no
// presence backend knows. Auth owns the users table; presence (realtime core) reaches it through this repository.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class LastSeenRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The stored last-seen time (ISO) of each known user; users never seen map to null, unknown ids are absent. */
  async find(userIds: string[]): Promise<Map<string, string | null>> {
    const rows: { id: string; last_seen_at: Date | null }[] = await this.dataSource.query(
      `SELECT id, last_seen_at FROM users WHERE id = ANY($1::uuid[])`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.id, r.last_seen_at ? r.last_seen_at.toISOString() : null]));
  }

  async record(userId: string, at: string): Promise<void> {
    await this.dataSource.query(`UPDATE users SET last_seen_at = $2 WHERE id = $1`, [userId, at]);
  }
}
