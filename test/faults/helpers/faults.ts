// What the fault tier needs beyond its own processes: the shared test Postgres for a fresh database per spec, and a
// `describe` that says what is missing when this machine cannot run the tier.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { client, http } from '../../helpers/http.js';
import { eventually } from '../../helpers/sockets.js';
import {
  type AppProcess,
  buildIfNeeded,
  missingForFaults,
  type RedisServer,
  startAppProcess,
  startRedis,
} from './processes.js';
import { startTcpLink, type TcpLink } from './tcp-link.js';

const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
const required = process.env.REQUIRE_SERVICES === '1';

/** A fresh database on TEST_DATABASE_URL's server; `drop()` removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rthub_faults_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(databaseUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** `describe` for fault scenarios: skipped (saying what to set or install) unless this machine can run them. */
export function describeFaults(name: string, body: () => void): void {
  const missing = [...(databaseUrl ? [] : ['TEST_DATABASE_URL']), ...missingForFaults()];
  if (missing.length > 0) {
    if (required) throw new Error(`REQUIRE_SERVICES=1 but the fault tier lacks: ${missing.join(', ')}`);
    const skipped = describe.skip;
    skipped(`${name} [skipped: needs ${missing.join(', ')}]`, body);
    return;
  }
  describe(name, body);
}

/** The admin account every fault scenario's servers ensure (the mixed load's notifications and kiosk need one). */
export const ADMIN = { email: 'admin@faults.local', password: 'admin-password-123' };

/** What every fault scenario's servers run with: a fixed secret, and no limit that the traffic would trip. */
export const FAULT_ENV = {
  JWT_SECRET: 'faults-secret-0123456789-abcdefghij',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  REGISTER_RATE_LIMIT: '1000',
  WS_RATE_LIMIT: '100000',
  // Cheap password hashes (OWASP's cost is checked by src/auth/passwords.spec.ts): the scenarios register many accounts.
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_PASSES: '1',
};

export interface Member {
  id: string;
  token: string;
}

/** Registers a user through the API (`name` is the display name and the email's start). */
export async function member(url: string, name: string): Promise<Member> {
  const res = await http(url, 'POST', '/api/v1/auth/register', {
    body: { email: `${name}-${randomUUID()}@faults.local`, password: 'password-123', displayName: name },
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, token: res.body.accessToken };
}

/** A conversation of `owner` with `others` (a group when `title` is given); answers its id. */
export async function conversationOf(url: string, owner: Member, others: Member[], title?: string): Promise<string> {
  const res = await client(url).post('/api/v1/conversations', {
    token: owner.token,
    body: { memberIds: others.map((m) => m.id), ...(title ? { title } : {}) },
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`conversation: ${res.status}`);
  return res.body.id;
}

/** Every stored message of a conversation, oldest first, page after page. */
export async function storedMessages(
  url: string,
  token: string,
  conversationId: string,
): Promise<{ id: string; seq: number; clientId: string }[]> {
  const items: { id: string; seq: number; clientId: string }[] = [];
  for (;;) {
    const after = items.length === 0 ? 0 : items[items.length - 1].seq;
    const page = await client(url).get(`/api/v1/conversations/${conversationId}/messages?afterSeq=${after}&limit=100`, {
      token,
    });
    if (page.status !== 200) throw new Error(`messages: ${page.status}`);
    items.push(...page.body.items);
    if (page.body.items.length < 100) return items;
  }
}

export interface FaultCluster {
  redis: RedisServer;
  instances: AppProcess[];
  /** Each instance's own link to Redis, when asked for (`redisLinks`): cutting one cuts that instance alone. */
  redisLinks: TcpLink[];
  /** The same to Postgres (`postgresLinks`). */
  postgresLinks: TcpLink[];
  close(): Promise<void>;
}

/** `url` with its host and port replaced by the link's (as an instance reaches the server through it). */
function through(link: TcpLink | undefined, url: string): string {
  if (!link) return url;
  const linked = new URL(url);
  linked.hostname = '127.0.0.1';
  linked.port = String(link.port);
  return linked.toString();
}

/** One link per instance to the server at `url`, or none. */
async function linksTo(url: string, wanted: boolean | undefined): Promise<TcpLink[]> {
  if (!wanted) return [];
  const target = new URL(url);
  return Promise.all([0, 1].map(() => startTcpLink(Number(target.port), target.hostname)));
}

/**
 * Two instances of the built server as real processes, on a fresh database of the test Postgres and a private Redis
 * (so a scenario may stop it), with FAULT_ENV and `env`; with `redisLinks` (`postgresLinks`), each reaches Redis
 * (Postgres) through a link of its own.
 */
export async function startFaultCluster(
  env: Record<string, string> = {},
  options: { redisLinks?: boolean; postgresLinks?: boolean } = {},
): Promise<FaultCluster> {
  buildIfNeeded();
  const redis = await startRedis();
  const database = await freshDatabase();
  const redisLinks = await linksTo(redis.url, options.redisLinks);
  const postgresLinks = await linksTo(database.url, options.postgresLinks);
  const settings = (i: number) => ({
    DATABASE_URL: through(postgresLinks[i], database.url),
    REDIS_URL: through(redisLinks[i], redis.url),
    ...FAULT_ENV,
    ...env,
  });
  // Both at once, as a deploy would (migrations run under an advisory lock, the admin is inserted once).
  const instances = await Promise.all([startAppProcess(settings(0)), startAppProcess(settings(1))]);
  return {
    redis,
    instances,
    redisLinks,
    postgresLinks,
    close: async () => {
      for (const instance of instances) await instance.stop();
      for (const link of [...redisLinks, ...postgresLinks]) await link.close();
      await redis.dispose();
      await database.drop();
    },
  };
}

/**
 * Checks, while one instance's link to `dependency` (`redis`, `database`) is cut, that `/health` says so on that
 * instance alone: 503 naming it there, 200 on the other.
 */
export async function expectCutSeenBy(cut: AppProcess, other: AppProcess, dependency: string): Promise<void> {
  const [onCut, onOther] = await Promise.all([cut, other].map((i) => client(i.url).get('/api/v1/health')));
  expect(onOther.status).toBe(200);
  expect(onCut.status).toBe(503);
  expect(onCut.body.error).toHaveProperty(dependency);
}

/** Restores `link` and waits (20 s at most) until `instance`, behind it, is healthy again; answers when restored. */
export async function restoreLink(link: TcpLink, instance: AppProcess): Promise<number> {
  link.restore();
  const restored = Date.now();
  await eventually(async () => expect((await client(instance.url).get('/api/v1/health')).status).toBe(200), 20_000);
  return restored;
}
