// The hot paths' SQL (a message's append, a vote, a notification) runs here rather than through
// EntityManager.query: on Postgres each statement is named, so every pooled connection parses and plans it once
// instead of on every call (for the message append's CTE, half of Postgres's CPU per message). The embedded engine
// has one session shared by all pooled connections, where a name one connection prepared is unknown to the
// others' bookkeeping, so there, and with DATABASE_PREPARED_STATEMENTS=false, statements go unnamed.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { DataSource, type EntityManager, QueryFailedError, type QueryRunner } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { sendStatement } from './unit-of-work.js';

/** One statement of the hot paths; its name must be unique in the process (a name stands for one text). */
export interface SqlStatement {
  readonly name: string;
  readonly text: string;
}

const declared = new Map<string, string>();

/** Declares a statement once, at module load; a second text under the same name is a programming error. */
export function sqlStatement(name: string, text: string): SqlStatement {
  const known = declared.get(name);
  if (known !== undefined && known !== text) throw new Error(`SQL statement name "${name}" declared twice`);
  declared.set(name, text);
  return { name, text };
}

@Injectable()
export class SqlRunner {
  private readonly prepare: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.prepare = !config.embedded && config.database.preparedStatements;
  }

  /**
   * Runs the statement on the manager's connection (its transaction's, when it has one; else any pooled one) and
   * answers its rows. Errors come as TypeORM's QueryFailedError, as they would from EntityManager.query.
   */
  async rows<T>(manager: EntityManager, statement: SqlStatement, values: unknown[]): Promise<T[]> {
    const query: QueryConfig = this.prepare
      ? { name: statement.name, text: statement.text, values }
      : { text: statement.text, values };
    try {
      const runner = manager.queryRunner;
      if (runner) {
        // A transaction's connection is already open: the statement leaves now, in the caller's turn, so that the
        // COMMIT sent behind a last statement follows it on the wire.
        const client = connectedClient(runner) ?? ((await runner.connect()) as PoolClient);
        return (await sendStatement(runner, () => client.query(query))).rows as T[];
      }
      return (await this.pool().query(query)).rows as T[];
    } catch (err) {
      throw new QueryFailedError(statement.text, values, err as Error);
    }
  }

  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }
}

/** The runner's connection when it already has one (TypeORM's Postgres runner keeps it here once connected). */
function connectedClient(runner: QueryRunner): PoolClient | undefined {
  return (runner as QueryRunner & { databaseConnection?: PoolClient }).databaseConnection;
}
