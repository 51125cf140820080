// `npm run demo` against a running app: it fills the empty database through the API and prints how to sign in;
// a second run adds nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin } from '../helpers/factories.js';
import { http } from '../helpers/http.js';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'demo.mjs');

/** Runs the demo until it prints `until`, then stops it; answers its output. */
function runDemo(url: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, NODE_OPTIONS: '', DEMO_URL: url, ADMIN_EMAIL, ADMIN_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The demo did not print ${until} within 60 s:\n${output}`));
    }, 60_000);
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(output);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', () => {
      clearTimeout(timer);
      if (until.test(output)) resolve(output);
      else reject(new Error(`The demo exited:\n${output}`));
    });
  });
}

describe('npm run demo', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('should fill an empty database with every screen’s data and print how to sign in', async () => {
    const output = await runDemo(app.url, /Press Ctrl-C to stop/);
    expect(output).toContain('alice@demo.local');
    expect(output).toMatch(/enter the access code [A-Z0-9]{6}/);

    const alice = (
      await http(app.url, 'POST', '/api/v1/auth/login', {
        body: { email: 'alice@demo.local', password: 'demo-password' },
      })
    ).body;
    const token = alice.accessToken;
    const conversations = (await http(app.url, 'GET', '/api/v1/conversations', { token })).body.items;
    expect(conversations).toHaveLength(2);
    const direct = conversations.find((c: any) => c.kind === 'direct');
    expect(
      (await http(app.url, 'GET', `/api/v1/conversations/${direct.id}/messages`, { token })).body.items,
    ).toHaveLength(5);
    const suggestions = (await http(app.url, 'GET', '/api/v1/suggestions', { token })).body.items;
    expect(suggestions.map((s: any) => s.score).sort()).toEqual([-1, 2, 2]);
    expect((await http(app.url, 'GET', '/api/v1/resources', { token })).body.items[0].version).toBe(2);
    const jobs = (await http(app.url, 'GET', '/api/v1/jobs', { token })).body.items;
    expect(jobs[0]).toMatchObject({ status: 'running', progress: { pagesScraped: 5, totalPages: 60 } });

    const admin = await loginAdmin(app);
    const workstations = (await http(app.url, 'GET', '/api/v1/kiosk/workstations', { token: admin.token })).body.items;
    expect(workstations.map((w: any) => w.status).sort()).toEqual(['occupied', 'offline']);
    const active = (await http(app.url, 'GET', '/api/v1/kiosk/sessions?status=active', { token: admin.token })).body
      .items;
    expect(active).toHaveLength(1);

    // Run again: the data is there, nothing is added.
    const again = await runDemo(app.url, /already there/);
    expect(again).toContain('The demo data is already there.');
    expect((await http(app.url, 'GET', '/api/v1/suggestions', { token })).body.items).toHaveLength(3);
  }, 120_000);
});
