// Before the browser specs: build web/dist when it is missing or older than its sources (about 2 s).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export default function buildWeb() {
  const root = join(import.meta.dirname, '..', '..');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs'), '--web'], {
    cwd: root,
    stdio: 'inherit',
    // Jest sets NODE_ENV=test, which would make Vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error('Building the web app failed');
}
