// The DataSource for the TypeORM CLI (migration:generate, migration:run). Needs DATABASE_URL.
import { DataSource } from 'typeorm';
import { AppConfig } from './src/config/app-config.js';
import { dataSourceOptions } from './src/database/data-source-options.js';

const config = AppConfig.fromProcessEnv();
if (!config.database.url) {
  throw new Error('Set DATABASE_URL to run TypeORM CLI commands (the embedded engine runs its migrations at start).');
}

export default new DataSource(dataSourceOptions({ url: config.database.url }, 2));
