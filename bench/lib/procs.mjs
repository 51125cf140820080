// Starting and measuring server processes: the app (built dist/), the bare Socket.IO baseline, and their
// resource use read from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The app build to measure: this checkout, or BENCH_APP_DIR (another checkout, built, e.g. an older commit). */
export const APP_DIR = process.env.BENCH_APP_DIR ?? ROOT;
export const BENCH_SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
export const ADMIN = { email: 'admin@bench.local', password: 'bench-admin-password' };

/** BENCH_REDIS_ADAPTER=sharded: the app and the bare baseline on sharded Pub/Sub (`classic` by default). */
export const redisAdapter = process.env.BENCH_REDIS_ADAPTER === 'sharded' ? 'sharded' : 'classic';

/** Tuning switches passed through to the servers, so their effect can be measured (see bench/README.md). */
function tuningEnv() {
  const names = ['WS_NO_BUFFER_UTIL', 'WS_NO_UTF_8_VALIDATE', 'BENCH_BASELINE_KEEP_REQUEST', 'BENCH_BASELINE_DEFLATE'];
  return Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]]));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitHttp(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${url}`);
}

function track(child, name) {
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.on('exit', (code, signal) => {
    if (code && !child.stopping) process.stderr.write(`[bench] ${name} exited with ${code ?? signal}\n${stderr}\n`);
  });
}

/** Starts the built app with the given environment; answers {url, pid, stop()}. */
export async function startApp(env = {}, { name = 'app', nodeArgs = [], appDir = APP_DIR } = {}) {
  const port = await freePort();
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'rthub-bench-')));
  const args = [...nodeArgs, ...(process.env.BENCH_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${join(ROOT, 'bench', 'results')}`] : []), 'dist/src/main.js'];
  const child = spawn(process.execPath, args, {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET: BENCH_SECRET,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      WS_RATE_LIMIT: '100000',
      // The load comes from one address and a few accounts: the abuse limits would measure themselves.
      REGISTER_RATE_LIMIT: '1000000',
      WS_MAX_SOCKETS_PER_USER: '10000',
      MESSAGING_MAX_MEMBERS: '100000',
      DATABASE_POOL_SIZE: '20',
      REDIS_ADAPTER: redisAdapter,
      ...tuningEnv(),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child, name);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/api/v1/health`, child);
  return { url, pid: child.pid, child, stop: () => stop(child) };
}

/**
 * Starts the bare Socket.IO server (same version, same tuning) used as the baseline; with `redis: {url, key}`, on
 * the same Redis adapter as the app; with `databaseUrl`, able to write a row before a broadcast (`persist`).
 */
export async function startBaseline({ redis, databaseUrl, name = 'baseline', env = {}, nodeArgs = [] } = {}) {
  const port = await freePort();
  const baselineEnv = redis
    ? { BENCH_BASELINE_REDIS_URL: redis.url, BENCH_BASELINE_REDIS_KEY: redis.key, BENCH_BASELINE_REDIS_ADAPTER: redisAdapter }
    : {};
  if (databaseUrl) baselineEnv.BENCH_BASELINE_DATABASE_URL = databaseUrl;
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bench', 'baseline-server.mjs')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), ...baselineEnv, ...tuningEnv(), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child, name);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/health`, child);
  return { url, pid: child.pid, child, stop: () => stop(child) };
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  child.stopping = true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Node flags that open a server's inspector on a port of its own, for `collectGarbage`. */
export async function inspectorArgs() {
  const port = await freePort();
  return { port, nodeArgs: [`--inspect=127.0.0.1:${port}`] };
}

/**
 * A minimal Chrome DevTools Protocol client for a server started with `inspectorArgs()` (or its own `--inspect`):
 * `send(method, params)` answers the reply ({result} or {error}).
 */
export async function openInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let id = 0;
  const pending = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve) => {
        id += 1;
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/**
 * A full garbage collection in the server, so that a memory reading holds what is live rather than garbage not yet
 * collected; answers the server's `process.memoryUsage()` right after it.
 */
export async function collectGarbage(inspectPort) {
  const devtools = await openInspector(inspectPort);
  try {
    await devtools.send('HeapProfiler.collectGarbage');
    const { result, error } = await devtools.send('Runtime.evaluate', {
      expression:
        "JSON.stringify({ ...process.memoryUsage(), spaces: Object.fromEntries(process.getBuiltinModule('v8').getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size])) })",
    });
    if (error) throw new Error(error.message);
    return JSON.parse(result.result.value);
  } finally {
    devtools.close();
  }
}

/** Resident memory of a process in bytes. */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}
