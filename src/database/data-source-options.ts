import type { DataSourceOptions } from 'typeorm';
import type { PgEndpoint } from './embedded-postgres.js';
import { ENTITIES, MIGRATIONS } from './entities.js';

/** The one set of TypeORM options, for the app (embedded or Postgres) and for the CLI. */
export function dataSourceOptions(target: { url: string } | PgEndpoint, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    ...('url' in target
      ? { url: target.url }
      : { host: target.host, port: target.port, username: target.user, database: target.database }),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, connectionTimeoutMillis: 10_000 },
  };
}
