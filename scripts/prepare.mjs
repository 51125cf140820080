// `npm install` / `npm ci` (the `prepare` script): compiles the workspace packages (packages/protocol,
// packages/client) to their dist/, so plain Node (examples/, other apps of the workspace) can import them. Skipped
// where their sources or TypeScript are absent (the Docker dependency layers, `npm ci --omit=dev`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const projects = ['packages/protocol', 'packages/client'];
let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (tsc && projects.every((p) => existsSync(join(root, p, 'tsconfig.json')))) {
  const result = spawnSync(process.execPath, [tsc, '-b', ...projects], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
