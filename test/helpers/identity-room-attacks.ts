// The "leave your own identity room, then dodge the revocation" attacks (issue 14, item 1), run by the single-app
// spec (REST and sockets on one instance) and the multi-instance spec (REST on one, the attacker's socket on the
// other). `rest` is where the admin and the other members act; `ws` is where the attacker's socket lives.
import type { Socket } from 'socket.io-client';
import type { TestApp } from './app.js';
import { loginAdmin, registerUser, type TestUser } from './factories.js';
import { client } from './http.js';
import { collect, connect, connectError, emitAck, waitDisconnect, waitFor } from './sockets.js';

/** Connects `user` on `ws`, then unsubscribes the socket from its own `user:{id}` room (which the contract allows). */
export async function connectOutsideOwnRoom(ws: TestApp, user: TestUser, ...channels: string[]): Promise<Socket> {
  const socket = await connect(ws.url, user.token);
  for (const channel of channels) expect(await emitAck(socket, 'subscribe', { channel })).toMatchObject({ ok: true });
  expect(await emitAck(socket, 'unsubscribe', { channel: `user:${user.id}` })).toEqual({
    ok: true,
    data: { channel: `user:${user.id}` },
  });
  return socket;
}

/** A second admin, made by the bootstrap admin (a promotion revokes older tokens, so it logs in again). */
export async function promotedAdmin(rest: TestApp): Promise<{ admin: TestUser; boss: TestUser }> {
  const boss = await loginAdmin(rest);
  const user = await registerUser(rest, 'Soon Demoted');
  const api = client(rest.url);
  expect((await api.patch(`/api/v1/users/${user.id}`, { token: boss.token, body: { role: 'admin' } })).status).toBe(
    200,
  );
  const login = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
  expect(login.body.user.role).toBe('admin');
  return { admin: { ...user, role: 'admin', token: login.body.accessToken }, boss };
}

export async function demotedAdminLosesEverySocket(rest: TestApp, ws: TestApp): Promise<void> {
  const { admin, boss } = await promotedAdmin(rest);
  const socket = await connectOutsideOwnRoom(ws, admin, 'dashboard', 'kiosk:sessions');
  const gone = waitDisconnect(socket);
  const api = client(rest.url);
  expect((await api.patch(`/api/v1/users/${admin.id}`, { token: boss.token, body: { role: 'user' } })).status).toBe(
    200,
  );
  await gone;
  // Kiosk session events (with their access codes) no longer reach the demoted account: its old token opens no
  // socket, and a socket on a new token may not join the channel. (The closed socket itself cannot receive.)
  expect(await connectError(ws.url, admin.token)).toBe('Authentication failed');
  const login = await api.post('/api/v1/auth/login', { body: { email: admin.email, password: admin.password } });
  expect(login.body.user.role).toBe('user');
  const again = await connect(ws.url, login.body.accessToken);
  expect(await emitAck(again, 'subscribe', { channel: 'kiosk:sessions' })).toMatchObject({
    ok: false,
    error: { code: 'FORBIDDEN' },
  });
}

export async function disabledUserLosesEverySocket(rest: TestApp, ws: TestApp): Promise<void> {
  const boss = await loginAdmin(rest);
  const user = await registerUser(rest, 'Soon Disabled');
  const socket = await connectOutsideOwnRoom(ws, user);
  const gone = waitDisconnect(socket);
  const api = client(rest.url);
  expect((await api.patch(`/api/v1/users/${user.id}`, { token: boss.token, body: { disabled: true } })).status).toBe(
    200,
  );
  await gone;
}

export async function leaverStopsReceivingMessages(rest: TestApp, ws: TestApp): Promise<void> {
  const api = client(rest.url);
  const [leaver, stayer, third] = [
    await registerUser(rest, 'Leaver'),
    await registerUser(rest, 'Stayer'),
    await registerUser(rest, 'Third'),
  ];
  const created = await api.post('/api/v1/conversations', {
    token: stayer.token,
    body: { memberIds: [leaver.id, third.id], title: 'Group' },
  });
  expect(created.status).toBe(201);
  const channel = `conversation:${created.body.id}`;
  // A second conversation the leaver stays in: its messages, sent after the one to check, are the barrier.
  const other = await api.post('/api/v1/conversations', {
    token: stayer.token,
    body: { memberIds: [leaver.id], title: 'Barrier' },
  });
  expect(other.status).toBe(201);
  const socket = await connectOutsideOwnRoom(ws, leaver, channel, `conversation:${other.body.id}`);
  const messages = collect(socket, 'message:new');
  const removed = waitFor(socket, 'unsubscribed', (p: { channel: string }) => p.channel === channel);
  expect(
    (await api.delete(`/api/v1/conversations/${created.body.id}/members/me`, { token: leaver.token })).status,
  ).toBe(204);
  expect(await removed).toEqual({ channel, reason: 'FORBIDDEN' });
  const sent = await api.post(`/api/v1/conversations/${created.body.id}/messages`, {
    token: stayer.token,
    body: { body: 'after you left' },
  });
  expect(sent.status).toBe(201);
  // Published after the message above, by the same instance, to a socket that still listens: once it is here,
  // the message above would have been too.
  const barrier = waitFor(socket, 'message:new', (m: { body: string }) => m.body === 'barrier');
  const later = await api.post(`/api/v1/conversations/${other.body.id}/messages`, {
    token: stayer.token,
    body: { body: 'barrier' },
  });
  expect(later.status).toBe(201);
  await barrier;
  expect(messages.map((m: { conversationId: string; body: string }) => [m.conversationId, m.body])).toEqual([
    [other.body.id, 'barrier'],
  ]);
  expect(socket.connected).toBe(true);
}
