// `npm run demo`: a newcomer's first look. Starts the server (building it when needed) unless one already answers,
// fills an empty database through the public API (users, a conversation with history, a group, suggestions with
// votes, a shared document, two workstations with a session, a job in progress, notifications), prints how to sign
// in, then keeps the job progressing and the kiosk occupied until Ctrl-C.
// DEMO_URL (default http://127.0.0.1:$PORT, PORT default 3000); ADMIN_EMAIL / ADMIN_PASSWORD, else the generated
// password in $DATA_DIR/admin-password.txt.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';

const root = join(import.meta.dirname, '..');
const url = (process.env.DEMO_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
const PASSWORD = 'demo-password';
const PEOPLE = [
  { email: 'alice@demo.local', displayName: 'Alice Martin' },
  { email: 'bob@demo.local', displayName: 'Bob Durand' },
  { email: 'claire@demo.local', displayName: 'Claire Petit' },
];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line = '') => process.stdout.write(`${line}\n`);

async function call(method, path, { token, body, ok = [200, 201, 204] } = {}) {
  const response = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!ok.includes(response.status)) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return { status: response.status, data };
}

async function healthy() {
  try {
    return (await fetch(`${url}/api/v1/health`)).ok;
  } catch {
    return false;
  }
}

let server;
async function ensureServer() {
  if (await healthy()) {
    say(`Using the server already running at ${url}`);
    return;
  }
  say('Building if needed, then starting the server (npm start)…');
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  server = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PORT: new URL(url).port || '3000' },
  });
  server.on('exit', (code) => {
    say(`The server stopped (${code}).`);
    process.exit(code ?? 1);
  });
  for (let i = 0; i < 120; i += 1) {
    if (await healthy()) return;
    await sleep(500);
  }
  throw new Error(`The server did not answer at ${url} within 60 s`);
}

function adminCredentials() {
  if (process.env.ADMIN_EMAIL && process.env.ADMIN_PASSWORD) {
    return { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD, shown: process.env.ADMIN_PASSWORD };
  }
  const file = join(process.env.DATA_DIR ?? join(root, 'data'), 'admin-password.txt');
  try {
    // The server writes the email on the first line and the password on the second.
    const [email, password] = readFileSync(file, 'utf8').trim().split('\n');
    return { email, password, shown: `(second line of ${file})` };
  } catch {
    throw new Error(
      `Set ADMIN_EMAIL and ADMIN_PASSWORD (the server's admin), or run the demo where ${file} is readable`,
    );
  }
}

async function login(email, password) {
  return (await call('POST', '/api/v1/auth/login', { body: { email, password } })).data;
}

async function seed(admin) {
  const users = [];
  for (const person of PEOPLE) {
    users.push((await call('POST', '/api/v1/auth/register', { body: { ...person, password: PASSWORD } })).data);
  }
  const [alice, bob, claire] = users.map((u) => ({ ...u.user, token: u.accessToken }));

  const direct = (await call('POST', '/api/v1/conversations', { token: alice.token, body: { memberIds: [bob.id] } }))
    .data;
  const history = [
    [alice, 'Morning Bob! Are the council minutes ready?'],
    [bob, 'Almost: I am adding the budget vote.'],
    [alice, 'Great. Can you also list the new opening hours?'],
    [bob, 'Sure, the library will open on Sundays from March.'],
    [alice, 'Perfect, thanks!'],
  ];
  for (const [who, body] of history) {
    await call('POST', `/api/v1/conversations/${direct.id}/messages`, { token: who.token, body: { body } });
  }
  const group = (
    await call('POST', '/api/v1/conversations', {
      token: claire.token,
      body: { memberIds: [alice.id, bob.id], title: 'Town hall team' },
    })
  ).data;
  for (const [who, body] of [
    [claire, 'Team meeting moved to 3 pm.'],
    [bob, 'Noted.'],
  ]) {
    await call('POST', `/api/v1/conversations/${group.id}/messages`, { token: who.token, body: { body } });
  }

  const suggestions = [];
  for (const [who, title, description] of [
    [bob, 'More benches in the park', 'Near the playground and the pond.'],
    [claire, 'Open the library on Sundays', 'At least in winter.'],
    [alice, 'A bike repair station at the station', ''],
  ]) {
    suggestions.push(
      (await call('POST', '/api/v1/suggestions', { token: who.token, body: { title, description } })).data,
    );
  }
  for (const [who, index, value] of [
    [alice, 0, 1],
    [claire, 0, 1],
    [alice, 1, 1],
    [bob, 1, 1],
    [bob, 2, -1],
  ]) {
    await call('PUT', `/api/v1/suggestions/${suggestions[index].id}/vote`, { token: who.token, body: { value } });
  }

  const doc = (
    await call('POST', '/api/v1/resources', {
      token: alice.token,
      body: { name: 'Council minutes', visibility: 'public', data: { text: 'Agenda\n1. Budget\n2. Parks' } },
    })
  ).data;
  await call('PATCH', `/api/v1/resources/${doc.id}`, {
    token: alice.token,
    body: { data: { text: 'Agenda\n1. Budget (vote: 12 for, 3 against)\n2. Parks\n3. Library hours' } },
  });

  const job = (
    await call('POST', '/api/v1/jobs', {
      token: alice.token,
      body: { name: 'Scrape the events calendar', totalPages: 60 },
    })
  ).data;
  const worker = (await call('POST', `/api/v1/jobs/${job.id}/token`, { token: alice.token })).data.token;
  await call('POST', `/api/v1/jobs/${job.id}/events`, {
    token: worker,
    body: { type: 'job_started', data: { totalPages: 60 } },
  });
  for (let page = 1; page <= 5; page += 1) {
    await call('POST', `/api/v1/jobs/${job.id}/events`, {
      token: worker,
      body: { type: 'item_scraped', data: { item: { title: `Event ${page}`, page } } },
    });
    await call('POST', `/api/v1/jobs/${job.id}/events`, {
      token: worker,
      body: { type: 'job_progress', data: { pagesScraped: page, currentPage: page + 1 } },
    });
  }

  const pc1 = (await call('POST', '/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Library PC 1' } }))
    .data;
  const pc2 = (await call('POST', '/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Library PC 2' } }))
    .data;
  const running = (
    await call('POST', '/api/v1/kiosk/sessions', {
      token: admin.token,
      body: { durationSeconds: 45 * 60, holderName: 'Camille' },
    })
  ).data;
  const waiting = (
    await call('POST', '/api/v1/kiosk/sessions', {
      token: admin.token,
      body: { durationSeconds: 30 * 60, holderName: 'Visitor' },
    })
  ).data;

  await call('POST', '/api/v1/notifications', {
    token: admin.token,
    body: {
      userIds: [alice.id, bob.id, claire.id],
      type: 'announcement',
      title: 'Welcome to realtime-hub',
      body: 'Everything on these screens is live.',
    },
  });

  return { alice, job, worker, pc1, pc2, running, waiting };
}

/** Keeps PC 1 occupied by a kiosk socket running Camille's session. */
async function occupy(pc1Token, code) {
  const socket = io(url, { auth: { token: pc1Token }, transports: ['websocket'] });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const valid = await socket.timeout(10_000).emitWithAck('validate_code', { code });
  if (!valid.ok) throw new Error(`validate_code: ${JSON.stringify(valid.error)}`);
  const started = await socket.timeout(10_000).emitWithAck('start_session', { sessionId: valid.data.session.id });
  if (!started.ok) throw new Error(`start_session: ${JSON.stringify(started.error)}`);
  return socket;
}

/** One page every 4 s until the job completes. */
async function keepScraping(job, worker, fromPage) {
  for (let page = fromPage; page <= 60; page += 1) {
    await sleep(4000);
    await call('POST', `/api/v1/jobs/${job.id}/events`, {
      token: worker,
      body: { type: 'item_scraped', data: { item: { title: `Event ${page}`, page } } },
    });
    await call('POST', `/api/v1/jobs/${job.id}/events`, {
      token: worker,
      body: { type: 'job_progress', data: { pagesScraped: page, currentPage: Math.min(page + 1, 60) } },
    });
  }
  await call('POST', `/api/v1/jobs/${job.id}/events`, { token: worker, body: { type: 'job_completed', data: {} } });
}

async function main() {
  await ensureServer();
  const credentials = adminCredentials();
  const admin = { token: (await login(credentials.email, credentials.password)).accessToken };
  const users = (await call('GET', '/api/v1/users?limit=100', { token: admin.token })).data.items;
  const demoThere = users.some((u) => u.email === PEOPLE[0].email);
  const others = users.filter((u) => u.role !== 'admin');
  let seeded;
  if (demoThere) say('The demo data is already there.');
  else if (others.length > 0)
    say(`This database already has ${others.length} users: nothing added (the demo fills an empty one).`);
  else seeded = await seed(admin);

  let kiosk;
  if (seeded) {
    const pc1Token = (
      await call('POST', `/api/v1/kiosk/workstations/${seeded.pc1.workstation.id}/token`, { token: admin.token })
    ).data.token;
    kiosk = await occupy(pc1Token, seeded.running.accessCode);
  }

  say();
  say(`realtime-hub demo: open ${url}/`);
  say(`  Sign in as ${PEOPLE.map((p) => p.email).join(', ')} (password: ${PASSWORD})`);
  say(`  Admin: ${credentials.email}, password ${credentials.shown}: /admin/dashboard and /admin/kiosk`);
  if (seeded) {
    say(`  Kiosk: open ${url}/kiosk in another browser (or a private window), paste this token for Library PC 2:`);
    say(`    ${seeded.pc2.token}`);
    say(`  then enter the access code ${seeded.waiting.accessCode}.`);
    say(
      '  The job "Scrape the events calendar" progresses, and Library PC 1 runs Camille\'s session, while this runs.',
    );
  }
  say('Press Ctrl-C to stop.');

  const stop = () => {
    kiosk?.close();
    if (server) server.kill('SIGTERM');
    else process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (seeded) {
    keepScraping(seeded.job, seeded.worker, 6).catch((err) => say(`The demo job stopped: ${err.message}`));
  }
  if (!server && !seeded) process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  server?.kill('SIGTERM');
  process.exit(1);
});
