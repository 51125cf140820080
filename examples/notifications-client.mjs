#!/usr/bin/env node
// A plain JavaScript client of realtime-hub (@realtime-hub/client, Node 20, ESM): it signs in, shows its connection
// state, and prints each notification as it arrives (gapless, in seq order) with the live unread count. Send one from
// Swagger UI (/docs, POST /api/v1/notifications as the admin) or the quick start's curl commands.
//
//   BASE_URL=http://localhost:3000 EMAIL=ada@example.com PASSWORD=... node examples/notifications-client.mjs
//   BASE_URL=http://localhost:3000 USER_TOKEN=<access token> node examples/notifications-client.mjs
//
// Optional: COUNT (exit after that many notifications; default: run until Ctrl-C).
import { createClient } from '@realtime-hub/client';

const env = process.env;
const BASE_URL = (env.BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const COUNT = env.COUNT ? Number(env.COUNT) : Infinity;

/** Signs in with EMAIL and PASSWORD; answers an access token. */
async function login() {
  const response = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: env.EMAIL, password: env.PASSWORD }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`login: ${response.status} ${body.code}: ${body.message}`);
  return body.accessToken;
}

let token = env.USER_TOKEN ?? (await login());

const hub = createClient({
  url: BASE_URL,
  // Called for every handshake and before the token expires: `connect` takes the current token; `expiring`,
  // `expired` and `rejected` ask for a fresh one (POST /api/v1/auth/refresh while the session lasts, else sign in).
  getToken: async ({ reason }) => {
    if (reason === 'connect') return token;
    const response = await fetch(`${BASE_URL}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    token = response.ok ? (await response.json()).accessToken : await login();
    return token;
  },
  onError: (error) => console.error('hub:', error instanceof Error ? error.message : error),
});

hub.connection.subscribe((state) => console.log(`connection: ${state}`));
hub.unreadCount().subscribe((count) => console.log(`unread: ${count}`));

let received = 0;
const stop = hub.notifications().subscribe((n) => {
  console.log(`notification #${n.seq}: ${n.title}${n.body ? ` (${n.body})` : ''}`);
  received += 1;
  if (received >= COUNT) close();
});

function close() {
  stop.unsubscribe();
  hub.close();
}
process.once('SIGINT', close);
