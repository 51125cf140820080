// `npm run prestart`: builds when dist/src/main.js is missing or older than any source. Silent when up to date.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

const built = mtime(output);
const stale = built === undefined || inputs.some((input) => newest(join(root, input)) > built);
if (stale) {
  const windows = process.platform === 'win32';
  const result = spawnSync(windows ? 'npm.cmd' : 'npm', ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: windows,
  });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}
