import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from './bootstrap.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { AppConfig } from './config/app-config.js';
import { ConfigValidationError } from './config/environment.js';

/** The one start line a person reads: where to go, and where the generated admin password is. */
function banner(config: AppConfig, port: number): Record<string, unknown> {
  const anyAddress = ['0.0.0.0', '::', '[::]'].includes(config.host);
  const base = `http://${anyAddress ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const passwordFile = join(config.dataDir, 'admin-password.txt');
  return {
    app: `${base}/`,
    swaggerUi: `${base}/docs`,
    asyncApi: `${base}/asyncapi`,
    health: `${base}/api/v1/health`,
    admin: config.admin.email ?? 'admin@localhost',
    ...(config.admin.password === undefined && existsSync(passwordFile) ? { adminPasswordFile: passwordFile } : {}),
    database: config.embedded ? `embedded (${config.dataDir})` : 'postgres',
    redis: Boolean(config.redis.url),
  };
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromProcessEnv();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // A promise nobody awaited that failed (a dependency's command after its caller gave up, say) is a bug to log, not
  // a reason to drop every socket of this instance.
  process.on('unhandledRejection', (reason: unknown) => {
    new Logger('Process').error({ err: reason }, 'Unhandled promise rejection');
  });
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    new Logger('Shutdown').log({ signal }, 'Shutting down');
    // Past the grace and as long again for Nest's own hooks, stop regardless.
    setTimeout(() => process.exit(1), 2 * config.shutdownGraceMs + 5000).unref();
    app
      .get(GracefulShutdown)
      .drain()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          new Logger('Shutdown').error({ err }, 'Shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const port = Number(new URL(await app.getUrl()).port) || config.port;
  new Logger('Bootstrap').log(banner(config, port), 'realtime-hub is ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
