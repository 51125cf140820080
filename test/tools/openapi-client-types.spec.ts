// The client's REST types are generated from the server's own /docs-json: this fails when the committed file is out
// of step with the document (run `npm run generate:openapi` after changing a route or a DTO's Swagger metadata).
// The generator runs the built server under plain Node (see scripts/generate-openapi.mjs), in embedded mode; it
// builds first when dist/ is stale.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

describe('Client REST types', () => {
  it('should match what openapi-typescript generates from the running server’s /docs-json', () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'generate-openapi.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(run.stderr).not.toContain('out of step');
    expect(run.stdout).toContain('matches /docs-json');
    expect(run.status).toBe(0);
  }, 300_000);
});
