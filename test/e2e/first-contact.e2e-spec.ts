// What a person sees first: paths nothing serves answer the JSON error envelope, never Express's HTML "Cannot GET",
// and the web app's own routes answer its index.html.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findWebDist } from '../../src/web/web.module.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { http } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, sleep, waitFor } from '../helpers/sockets.js';

const repo = join(import.meta.dirname, '..', '..');
/** nginx, when installed (CI installs none; the config's shape is checked by test/tools/docs.spec.ts either way). */
const nginx = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** deploy/nginx/realtime-hub.conf in front of `upstream` (both upstream servers), on a free port; answers its URL. */
async function startNginx(upstream: URL, dir: string): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const site = readFileSync(join(repo, 'deploy', 'nginx', 'realtime-hub.conf'), 'utf8')
    .replace(/server 127\.0\.0\.1:300[12]/g, `server ${upstream.host}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`);
  writeFileSync(join(dir, 'site.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log; ${process.getuid?.() === 0 ? 'user root;' : ''}
     events {} http { access_log off; ${temp} include ${dir}/site.conf; }`,
  );
  const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i += 1) {
    if (
      await fetch(`${url}/api/v1/health`).then(
        () => true,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  return { url, stop: () => child.kill() };
}

/** The shell block of docs/quick-start.md that follows the comment naming this spec. */
function quickStartBlock(): string {
  const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'quick-start.md'), 'utf8');
  const marked = page.split('first-contact.e2e-spec.ts')[1];
  const block = /```sh\n([\s\S]*?)```/.exec(marked ?? '');
  if (!block) throw new Error('docs/quick-start.md has no shell block marked for this spec');
  return block[1];
}

const envelope = (method: string, path: string) => ({
  statusCode: 404,
  code: 'NOT_FOUND',
  message: `Cannot ${method} ${path}`,
});

describe('First contact', () => {
  describe('the app', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp();
    }, 60_000);
    afterAll(async () => {
      await app?.close();
    });

    it.each([
      ['GET', '/docs/nothing'],
      ['GET', '/metrics/nothing'],
      ['GET', '/asyncapi/nothing'],
      ['GET', '/assets/missing.js'],
      ['POST', '/nothing'],
      ['DELETE', '/api/v1/nothing'],
    ])('should answer %s %s with the JSON 404 envelope', async (method, path) => {
      const res = await http(app.url, method, path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual(envelope(method, path));
    });

    // web/dist exists once `npm run build` (or the web project's global setup) has run; without it `/` is a 404 too.
    it.each(['/', '/chat/42', '/kiosk'])(
      'should answer %s with the web app, or the envelope when it is not built',
      async (path) => {
        const res = await http(app.url, 'GET', path);
        if (findWebDist()) {
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toMatch(/^text\/html/);
          expect(res.body).toContain('<div id="root">');
        } else {
          expect(res.body).toEqual(envelope('GET', path));
        }
      },
    );

    it("should deliver the quick start's notification live to the user who signed up", async () => {
      const ada = await registerUser(app, 'Ada');
      const socket = await connect(app.url, ada.token);
      const arrived = waitFor<{ title: string }>(socket, 'notification');
      // The commands run where `npm start` ran: the admin's email and password in data/admin-password.txt.
      const cwd = mkdtempSync(join(tmpdir(), 'quick-start-'));
      mkdirSync(join(cwd, 'data'));
      writeFileSync(join(cwd, 'data', 'admin-password.txt'), `${ADMIN_EMAIL}\n${ADMIN_PASSWORD}\n`);
      try {
        // Asynchronous: the app answers from this process.
        const run = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', quickStartBlock()], {
          cwd,
          env: { ...process.env, NODE_OPTIONS: '', BASE_URL: app.url },
          timeout: 20_000,
        });
        expect(run.stderr).toBe('');
        expect(JSON.parse(run.stdout)).toMatchObject({ items: [{ title: 'Hello from curl' }] });
        expect((await arrived).title).toBe('Hello from curl');
      } finally {
        closeAllSockets();
        rmSync(cwd, { recursive: true, force: true });
      }
    });

    it('should run examples/notifications-client.mjs until it prints a notification', async () => {
      const user = await registerUser(app, 'Example Reader');
      const admin = await loginAdmin(app);
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, '..', '..', 'examples', 'notifications-client.mjs')],
        {
          env: { PATH: process.env.PATH, BASE_URL: app.url, EMAIL: user.email, PASSWORD: user.password, COUNT: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      let code: number | null | undefined;
      void exited.then((c) => (code = c));
      try {
        // Once it is online and has read its unread count, each notification sent is one it follows.
        for (let i = 0; i < 100 && !/unread: 0/.test(output) && code === undefined; i += 1) await sleep(100);
        for (let i = 0; i < 10 && code === undefined; i += 1) {
          await http(app.url, 'POST', '/api/v1/notifications', {
            token: admin.token,
            body: { userIds: [user.id], type: 'example', title: 'Hello, example' },
          });
          await Promise.race([exited, sleep(1000)]);
        }
        expect(await exited).toBe(0);
        expect(output).toContain('connection: online');
        expect(output).toMatch(/notification #1: Hello, example/);
      } finally {
        child.kill();
      }
    });

    (nginx ? it : it.skip)(
      `should carry REST and both Socket.IO transports through deploy/nginx/realtime-hub.conf${nginx ? '' : ' [skipped: install nginx]'}`,
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
        const proxy = await startNginx(new URL(app.url), dir);
        try {
          expect((await http(proxy.url, 'GET', '/api/v1/health')).status).toBe(200);
          expect((await http(proxy.url, 'GET', '/metrics')).status).toBe(404);
          const user = await registerUser(app, 'Behind Nginx');
          for (const transports of [['websocket'], ['polling']] as const) {
            const socket = await connect(proxy.url, user.token, { transports: [...transports] });
            expect(await emitAck(socket, 'subscribe', { channel: 'suggestions:votes' })).toMatchObject({ ok: true });
          }
        } finally {
          closeAllSockets();
          proxy.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );

    it('should still serve the API, Swagger UI and the health body documented in docs/operations.md', async () => {
      expect((await http(app.url, 'GET', '/docs')).status).toBe(200);
      const health = await http(app.url, 'GET', '/api/v1/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } }, error: {} });
    });
  });
});
