// `npm run prestart`: builds the server when dist/src/main.js is missing or older than any of its sources, and the
// web app when web/dist/index.html is missing or older than any of its sources. Silent when both are up to date.
// `--web`: the web app only (the browser specs run this before they start).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const targets = {
  server: {
    output: 'dist/src/main.js',
    inputs: ['src', 'packages/protocol/src', 'packages/protocol/package.json', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
    script: 'build',
  },
  web: {
    output: 'web/dist/index.html',
    inputs: ['web/src', 'web/index.html', 'web/vite.config.mjs', 'web/package.json', 'packages/client/src', 'packages/protocol/src'],
    script: 'build:web',
  },
};

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

function stale({ output, inputs }) {
  const built = mtime(join(root, output));
  return built === undefined || inputs.some((input) => newest(join(root, input)) > built);
}

function run(script) {
  const windows = process.platform === 'win32';
  const result = spawnSync(windows ? 'npm.cmd' : 'npm', ['run', script], { cwd: root, stdio: 'inherit', shell: windows });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const webOnly = process.argv.includes('--web');
if (!webOnly && stale(targets.server)) {
  run(targets.server.script); // `npm run build` builds the web app too
} else if (stale(targets.web)) {
  run(targets.web.script);
}
