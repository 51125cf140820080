import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { AppConfig } from './config/app-config.js';
import { ConfigValidationError } from './config/environment.js';

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
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  await app.listen(config.port, config.host);
  new Logger('Bootstrap').log(
    { url: await app.getUrl(), database: config.embedded ? 'embedded' : 'postgres', redis: Boolean(config.redis.url) },
    'realtime-hub listening',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
