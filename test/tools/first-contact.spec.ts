// The first minute, as a newcomer lives it: `npm start` with no configuration (it builds when dist/ is stale), one
// banner line with the addresses and the admin password file, no wall of Nest's start-up lines; the web app at `/`,
// the JSON error envelope (never Express's HTML "Cannot GET") where nothing is served; then the quick start's commands
// and the JavaScript example against that server, and the nginx config in front of it where nginx is installed. The
// TypeScript examples (React, Angular) are type-checked meanwhile, against the client package as published (dist/).
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { http, metricValue } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, eventually, sleep, waitFor } from '../helpers/sockets.js';

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

/** The shell block of a docs page that follows the comment naming this spec. */
function markedBlock(page: string): string {
  const text = readFileSync(join(repo, page), 'utf8');
  const marked = text.split('test/tools/first-contact.spec.ts')[1];
  const block = /```sh\n([\s\S]*?)```/.exec(marked ?? '');
  if (!block) throw new Error(`${page} has no shell block marked for this spec`);
  return block[1];
}

/** Runs a marked block with bash, as a reader would paste it. */
function runBlock(page: string, cwd: string, env: Record<string, string>) {
  return promisify(execFile)('bash', ['-euo', 'pipefail', '-c', markedBlock(page)], {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    timeout: 20_000,
  });
}

interface LogLine {
  level: number;
  context?: string;
  msg: string;
  [field: string]: unknown;
}

interface Server {
  url: string;
  lines: LogLine[];
  process: ChildProcess;
}

/** `npm start` in the repository with no configuration but a fresh DATA_DIR; resolves once its banner is logged. */
function npmStart(dataDir: string): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir };
  for (const name of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'JWT_SECRET', 'DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL']) {
    delete env[name];
  }
  // Its own process group, so the test can stop npm and the server it started together.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: repo,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No banner within 240 s:\n${output}`)), 240_000);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const text of output.split('\n').slice(lines.length, -1)) {
        // The build (when dist/ is stale) prints before the server does; only the server's JSON lines count.
        const line = text.startsWith('{') ? (JSON.parse(text) as LogLine) : { level: 0, msg: text };
        lines.push(line);
        if (line.msg === 'realtime-hub is ready') {
          clearTimeout(timer);
          resolve({ url: String(line.app).replace(/\/$/, ''), lines, process: child });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
}

const envelope = (method: string, path: string) => ({
  statusCode: 404,
  code: 'NOT_FOUND',
  message: `Cannot ${method} ${path}`,
  details: {},
});

/** A user registered over REST. */
async function register(url: string, displayName: string) {
  const email = `${displayName.toLowerCase().replace(/\W+/g, '-')}-${process.pid}@example.com`;
  const res = await http(url, 'POST', '/api/v1/auth/register', {
    body: { email, password: 'password-123', displayName },
  });
  expect(res.status).toBe(201);
  return { id: res.body.user.id as string, token: res.body.accessToken as string, email, password: 'password-123' };
}

/** The server's `realtime_sockets_connected` gauge. */
async function socketsConnected(url: string): Promise<number | undefined> {
  return metricValue(String((await http(url, 'GET', '/metrics')).body), 'realtime_sockets_connected');
}

describe('First contact', () => {
  let dir: string;
  let server: Server;
  let typeCheck: Promise<{ stdout: string; stderr: string }>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'first-contact-'));
    // While the server starts: tsc over examples/ (a few seconds of its own).
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    typeCheck = promisify(execFile)(process.execPath, [tsc, '-p', join(repo, 'examples', 'tsconfig.json')], {
      cwd: repo,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    typeCheck.catch(() => undefined); // reported by its own test
    server = await npmStart(join(dir, 'data'));
  }, 300_000);
  afterAll(async () => {
    closeAllSockets();
    if (server?.process.pid && server.process.exitCode === null) {
      const exited = new Promise((resolve) => server.process.once('exit', resolve));
      process.kill(-server.process.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('should log a handful of lines, then one banner with the addresses and the admin password file', () => {
    const serverLines = server.lines.filter((line) => line.level > 0);
    expect(serverLines.length).toBeLessThan(10);
    expect(
      serverLines.filter((line) => /InstanceLoader|RoutesResolver|RouterExplorer/.test(line.context ?? '')),
    ).toEqual([]);
    const banner = serverLines.at(-1)!;
    expect(banner).toMatchObject({
      context: 'Bootstrap',
      app: `${server.url}/`,
      swaggerUi: `${server.url}/docs`,
      asyncApi: `${server.url}/asyncapi`,
      admin: 'admin@localhost',
      adminPasswordFile: join(dir, 'data', 'admin-password.txt'),
    });
    expect(readFileSync(join(dir, 'data', 'admin-password.txt'), 'utf8')).toMatch(/^admin@localhost\n\S{16,}\n$/);
  });

  it.each(['/', '/chat/42', '/kiosk'])('should answer %s with the web app', async (path) => {
    const res = await http(server.url, 'GET', path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.body).toContain('<div id="root">');
  });

  it.each([
    ['GET', '/docs/nothing'],
    ['GET', '/metrics/nothing'],
    ['GET', '/asyncapi/nothing'],
    ['GET', '/assets/missing.js'],
    ['POST', '/nothing'],
    ['DELETE', '/api/v1/nothing'],
  ])('should answer %s %s with the JSON 404 envelope', async (method, path) => {
    const res = await http(server.url, method, path);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(envelope(method, path));
  });

  it('should serve Swagger UI, the AsyncAPI page and the health body documented in docs/operations.md', async () => {
    expect((await http(server.url, 'GET', '/docs')).status).toBe(200);
    expect((await http(server.url, 'GET', '/asyncapi')).status).toBe(200);
    const health = await http(server.url, 'GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      info: { database: { status: 'up', responseTime: expect.any(Number) } },
      error: {},
      details: { database: { status: 'up', responseTime: expect.any(Number) } },
    });
  });

  it('should log a REST request with the fields of docs/operations.md, never its headers', async () => {
    const grace = await register(server.url, 'Grace Logged');
    const res = await fetch(`${server.url}/api/v1/auth/me`, {
      headers: {
        authorization: `Bearer ${grace.token}`,
        cookie: 'session=a-cookie-never-logged',
        'x-request-id': 'first-contact-logged',
      },
    });
    expect(res.status).toBe(200);
    let line: LogLine | undefined;
    await eventually(() => {
      line = server.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'first-contact-logged');
      expect(line).toBeDefined();
    });
    expect(line).toMatchObject({
      msg: 'request completed',
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(line!.req).toEqual({
      id: 'first-contact-logged',
      method: 'GET',
      url: '/api/v1/auth/me',
      remoteAddress: '127.0.0.1',
    });
    const logged = JSON.stringify(server.lines);
    expect(logged).not.toContain(grace.token);
    expect(logged).not.toContain('a-cookie-never-logged');
  });

  it("should deliver the quick start's notification live to the user who signed up", async () => {
    const ada = await register(server.url, 'Ada');
    const socket = await connect(server.url, ada.token);
    const arrived = waitFor<{ title: string }>(socket, 'notification');
    // The commands run where `npm start` ran: data/ holds the admin password file.
    const run = await runBlock('docs/quick-start.md', dir, { BASE_URL: server.url });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ items: [{ title: 'Hello from curl' }] });
    expect((await arrived).title).toBe('Hello from curl');
  });

  it("should report a job with the worker's curl commands of docs/protocol/jobs.md", async () => {
    const owner = await register(server.url, 'Job Owner');
    const run = await runBlock('docs/protocol/jobs.md', dir, { BASE_URL: server.url, USER_TOKEN: owner.token });
    expect(run.stderr).toBe('');
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([1, 2, 3, 4].map((seq) => ({ seq })));
    const jobs = await http(server.url, 'GET', '/api/v1/jobs', { token: owner.token });
    expect(jobs.body.items).toMatchObject([{ name: 'Catalogue', status: 'completed', progress: { itemsScraped: 1 } }]);
  });

  it('should run examples/notifications-client.mjs until it prints a notification', async () => {
    const reader = await register(server.url, 'Example Reader');
    const [email, password] = readFileSync(join(dir, 'data', 'admin-password.txt'), 'utf8').split('\n');
    const admin = await http(server.url, 'POST', '/api/v1/auth/login', { body: { email, password } });
    const child = spawn(process.execPath, [join(repo, 'examples', 'notifications-client.mjs')], {
      env: { PATH: process.env.PATH, BASE_URL: server.url, EMAIL: reader.email, PASSWORD: reader.password, COUNT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    try {
      // Once it is online and has read its unread count, each notification sent is one it follows. (Its first REST
      // catch-up can bring a notification before the socket is up; it would then exit without ever being online.)
      const ready = () => /connection: online/.test(output) && /unread: 0/.test(output);
      for (let i = 0; i < 300 && !ready() && code === undefined; i += 1) await sleep(100);
      for (let i = 0; i < 10 && code === undefined; i += 1) {
        await http(server.url, 'POST', '/api/v1/notifications', {
          token: admin.body.accessToken,
          body: { userIds: [reader.id], type: 'example', title: 'Hello, example' },
        });
        await Promise.race([exited, sleep(1000)]);
      }
      expect(await exited).toBe(0);
      expect(output).toContain('connection: online');
      expect(output).toMatch(/notification #1: Hello, example/);
    } finally {
      child.kill();
    }
    // A Node start and the client's import take seconds on a loaded CI machine.
  }, 60_000);

  it('should type-check examples/react and examples/angular with tsc', async () => {
    await expect(typeCheck).resolves.toMatchObject({ stdout: '', stderr: '' });
  }, 60_000);

  it('should give the Angular example its AuthService before its client asks for the first token', async () => {
    // The service as TypeScript emits it for ES2022 with its class fields as defined (class fields set in order, before
    // the constructor's body), with stand-ins for Angular, whose injector answers the AuthService, and for the client,
    // which asks for its first token as it is created (as the real one does).
    const { default: ts } = await import('typescript');
    const { outputText } = ts.transpileModule(readFileSync(join(repo, 'examples/angular/hub.service.ts'), 'utf8'), {
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        useDefineForClassFields: true,
        experimentalDecorators: true,
      },
    });
    const auth = { token: async (fresh: boolean) => (fresh ? 'fresh' : 'current') };
    let firstToken: Promise<string> | undefined;
    const stubs: Record<string, object> = {
      '@angular/core': { Injectable: () => () => undefined, inject: () => auth },
      '@realtime-hub/client': {
        createClient: (options: { getToken(request: { reason: string }): Promise<string> }) => {
          firstToken = (async () => options.getToken({ reason: 'connect' }))();
          return { connection: {}, unreadCount: () => ({}), notifications: () => ({}) };
        },
      },
      // observe() wraps each stream in an rxjs Observable, whose pipe() the stand-in answers with itself.
      rxjs: {
        Observable: class {
          pipe() {
            return this;
          }
        },
        scan: () => undefined,
        shareReplay: () => undefined,
      },
    };
    const module = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', 'require', 'window', outputText)(
      module,
      module.exports,
      (name: string) => stubs[name],
      { location: { origin: 'http://localhost' } },
    );
    const HubService = module.exports.HubService as new (auth: unknown) => unknown;
    new HubService(auth);
    await expect(firstToken).resolves.toBe('current');
  });

  (nginx ? it : it.skip)(
    `should carry REST and both Socket.IO transports through deploy/nginx/realtime-hub.conf${nginx ? '' : ' [skipped: install nginx]'}`,
    async () => {
      const nginxDir = mkdtempSync(join(tmpdir(), 'nginx-'));
      const proxy = await startNginx(new URL(server.url), nginxDir);
      try {
        expect((await http(proxy.url, 'GET', '/api/v1/health')).status).toBe(200);
        expect((await http(proxy.url, 'GET', '/metrics')).status).toBe(404);
        const user = await register(server.url, 'Behind Nginx');
        for (const transports of [['websocket'], ['polling']] as const) {
          const socket = await connect(proxy.url, user.token, { transports: [...transports] });
          expect(await emitAck(socket, 'subscribe', { channel: 'suggestions:votes' })).toMatchObject({ ok: true });
        }
        closeAllSockets();
        // The polling socket's close packet leaves in a POST of its own: nginx stopped under it, the client would
        // retry after the test ended, and Jest would report a worker that did not exit. Every socket of this file is
        // closed now, and the example's process has exited: the server is to hold none.
        await eventually(async () => expect(await socketsConnected(server.url)).toBe(0));
      } finally {
        closeAllSockets();
        proxy.stop();
        rmSync(nginxDir, { recursive: true, force: true });
      }
    },
  );
});
