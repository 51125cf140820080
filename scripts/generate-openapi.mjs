// `npm run generate:openapi`: starts the built server (embedded, on a throwaway data directory and a random port),
// reads its /docs-json and writes packages/client/src/generated/openapi.ts.
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OPENAPI_TYPES_PATH, renderOpenApiTypes } from './openapi-types.mjs';

const root = join(import.meta.dirname, '..');
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const { createApp } = await import(join(root, 'dist/src/bootstrap.js'));
const { AppConfig } = await import(join(root, 'dist/src/config/app-config.js'));

const dataDir = await mkdtemp(join(tmpdir(), 'rthub-openapi-'));
const app = await createApp(
  new AppConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1' }),
);
try {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const document = await (await fetch(`http://127.0.0.1:${port}/docs-json`)).json();
  const target = join(root, OPENAPI_TYPES_PATH);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, await renderOpenApiTypes(document));
  process.stdout.write(`wrote ${OPENAPI_TYPES_PATH}\n`);
} finally {
  await app.close();
  await rm(dataDir, { recursive: true, force: true });
}
