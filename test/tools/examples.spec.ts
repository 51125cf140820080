// The TypeScript examples (React, Angular) compile against the client package as published (its dist/, built by
// `npm install`); the JavaScript ones run in test/e2e (first-contact, jobs).
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '..', '..');

describe('Examples', () => {
  it('should type-check examples/react and examples/angular with tsc', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = promisify(execFile)(process.execPath, [tsc, '-p', join(root, 'examples', 'tsconfig.json')], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    await expect(run).resolves.toMatchObject({ stdout: '', stderr: '' });
  }, 60_000);
});
