// The SQL of `app_secrets`: secrets generated once and shared by every instance (the JWT secret when JWT_SECRET is
// unset). Every method takes the EntityManager to run on.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

@Injectable()
export class AppSecretsRepository {
  /**
   * The secret stored under `name`, storing `candidate` first when there is none: the first instance to ask wins
   * and every other reads what it wrote.
   */
  async getOrCreate(manager: EntityManager, name: string, candidate: string): Promise<string> {
    await manager.query(`INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      name,
      candidate,
    ]);
    const rows: { value: string }[] = await manager.query(`SELECT value FROM app_secrets WHERE name = $1`, [name]);
    return rows[0].value;
  }
}
