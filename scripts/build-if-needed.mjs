// `npm run prestart`: builds the server when dist/src/main.js is missing or older than any of its sources, and the
// web app when web/dist/index.html is missing or older than any of its sources. Silent when both are up to date.
// `--web`: the web app only (the browser specs run this before they start).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const targets = {
  server: {
    output: 'dist/src/main.js',
    inputs: [
      'src',
      'packages/protocol/src',
      'packages/protocol/package.json',
      'packages/client/src',
      'ormconfig.ts',
      'tsconfig.json',
      'tsconfig.build.json',
      'package.json',
    ],
    script: 'build:server',
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

// Several processes may ask at once (parallel spec workers: the fault tier, the OpenAPI check, the browser specs): one
// builds, the others wait for its lock and then find the output fresh. A lock older than 10 minutes is left over from
// a killed build.
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

function run(script) {
  const windows = process.platform === 'win32';
  const result = spawnSync(windows ? 'npm.cmd' : 'npm', ['run', script], { cwd: root, stdio: 'inherit', shell: windows });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/**
 * The targets to build now. Each is built only when its own output is stale: rebuilding a fresh web app would empty
 * web/dist while the browser specs load pages from it.
 */
function due(webOnly) {
  const wanted = webOnly ? [targets.web] : [targets.server, targets.web];
  return wanted.filter(stale);
}

const webOnly = process.argv.includes('--web');
if (due(webOnly).length > 0) {
  acquire();
  let status = 0;
  try {
    for (const target of due(webOnly)) {
      status = run(target.script);
      if (status !== 0) break;
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  process.exit(status);
}
