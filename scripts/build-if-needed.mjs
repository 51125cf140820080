// `npm run prestart`: builds when dist/src/main.js is missing or older than any source. Silent when up to date.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const output = join(root, 'dist', 'src', 'main.js');
const inputs = [
  'src',
  'packages/protocol/src',
  'packages/protocol/package.json',
  'packages/client/src',
  'ormconfig.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time under `path` (directories count too, so a deleted file triggers a build). */
function newest(path) {
  const own = mtime(path);
  if (own === undefined) return 0;
  let latest = own;
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

function isStale() {
  const built = mtime(output);
  return built === undefined || inputs.some((input) => newest(join(root, input)) > built);
}

// Several processes may ask at once (parallel spec workers: the fault tier, the OpenAPI check): one builds, the
// others wait for its lock and then find dist/ fresh. A lock older than 10 minutes is left over from a killed build.
const lock = join(root, '.build-lock');
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function acquire() {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const since = mtime(lock);
      if (since !== undefined && Date.now() - since > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      else pause(250);
    }
  }
}

if (isStale()) {
  acquire();
  let status = 0;
  try {
    if (isStale()) {
      const windows = process.platform === 'win32';
      const result = spawnSync(windows ? 'npm.cmd' : 'npm', ['run', 'build'], {
        cwd: root,
        stdio: 'inherit',
        shell: windows,
      });
      if (result.error) throw result.error;
      status = result.status ?? 1;
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  process.exit(status);
}
