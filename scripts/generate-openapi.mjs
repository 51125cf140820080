// `npm run generate:openapi`: starts the built server (embedded, on a throwaway data directory and a random port),
// reads its /docs-json and writes packages/client/src/generated/openapi.ts. With `--check` it writes nothing and
// exits 1 when the committed file differs from what the document gives now (a spec runs that).
// It runs the compiled server under plain Node, as production does: under Jest's VM modules @nestjs/terminus does
// not find @nestjs/swagger and documents the health route differently.
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OPENAPI_TYPES_PATH, renderOpenApiTypes } from './openapi-types.mjs';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], {
  stdio: ['ignore', check ? 'ignore' : 'inherit', 'inherit'],
});
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
  const fresh = await renderOpenApiTypes(document);
  if (check) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== fresh) {
      process.stderr.write(`${OPENAPI_TYPES_PATH} is out of step with /docs-json: run npm run generate:openapi\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${OPENAPI_TYPES_PATH} matches /docs-json\n`);
    }
  } else {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, fresh);
    process.stdout.write(`wrote ${OPENAPI_TYPES_PATH}\n`);
  }
} finally {
  await app.close();
  await rm(dataDir, { recursive: true, force: true });
}
