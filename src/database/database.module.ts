import { Global, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgres, type PgEndpoint } from './embedded-postgres.js';
import { runMigrationsLocked } from './migrate.js';
import { SqlRunner } from './sql-runner.js';
import { UnitOfWork } from './unit-of-work.js';

export const DATABASE_TARGET = Symbol('DATABASE_TARGET');
type DatabaseTarget = { url: string } | PgEndpoint;

/** Owns the embedded engine's lifetime: on shutdown the DataSource goes first, then the socket server and PGlite. */
@Injectable()
export class DatabaseLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  embedded?: EmbeddedPostgres;

  constructor(private readonly moduleRef: ModuleRef) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    const dataSource = this.moduleRef.get(DataSource, { strict: false });
    if (dataSource.isInitialized) await dataSource.destroy();
    await this.embedded.stop();
    this.embedded = undefined;
    this.logger.log('Embedded database closed');
  }
}

@Global()
@Module({
  providers: [
    DatabaseLifecycle,
    {
      provide: DATABASE_TARGET,
      inject: [AppConfig, DatabaseLifecycle],
      useFactory: async (config: AppConfig, lifecycle: DatabaseLifecycle): Promise<DatabaseTarget> => {
        if (config.database.url) return { url: config.database.url };
        lifecycle.embedded = await EmbeddedPostgres.start(config.dataDir, config.database.poolSize);
        new Logger('Database').log({ dataDir: config.dataDir }, 'Embedded database started');
        return lifecycle.embedded.endpoint;
      },
    },
  ],
  exports: [DATABASE_TARGET],
})
class DatabaseTargetModule {}

@Global()
@Module({
  imports: [
    DatabaseTargetModule,
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, DATABASE_TARGET],
      useFactory: (config: AppConfig, target: DatabaseTarget) => ({
        ...dataSourceOptions(target, config.database.poolSize),
        retryAttempts: 3,
        retryDelay: 1000,
      }),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        const applied = await runMigrationsLocked(dataSource);
        if (applied > 0) new Logger('Database').log({ applied }, 'Migrations applied');
        return dataSource;
      },
    }),
  ],
  providers: [SqlRunner, UnitOfWork],
  exports: [SqlRunner, UnitOfWork],
})
export class DatabaseModule {}
