// Logout (issue 14, item 8), run on one instance and across two: `rest` is where the user logs out, `ws` where
// their other devices are connected.
import type { TestApp } from './app.js';
import { registerUser } from './factories.js';
import { client } from './http.js';
import { connect, connectError, emitAck, waitDisconnect } from './sockets.js';

export async function logoutEndsEverySession(rest: TestApp, ws: TestApp): Promise<void> {
  const user = await registerUser(rest, 'Leaving For Good');
  const restApi = client(rest.url);
  const wsApi = client(ws.url);
  const second = await wsApi.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
  const refreshed = await wsApi.post('/api/v1/auth/refresh', { token: second.body.accessToken });
  const tokens: string[] = [user.token, second.body.accessToken, refreshed.body.accessToken];
  // ws has seen (and cached) the account before the logout.
  for (const token of tokens) expect((await wsApi.get('/api/v1/auth/me', { token })).status).toBe(200);
  const phone = await connect(ws.url, tokens[1]);
  const laptop = await connect(ws.url, tokens[2]);
  // One device even left its user room: logout reaches it all the same.
  expect(await emitAck(laptop, 'unsubscribe', { channel: `user:${user.id}` })).toMatchObject({ ok: true });
  const gone = Promise.all([waitDisconnect(phone), waitDisconnect(laptop)]);

  const out = await restApi.post('/api/v1/auth/logout', { token: user.token });
  expect(out.status).toBe(204);
  await gone;
  for (const token of tokens) {
    expect((await wsApi.get('/api/v1/auth/me', { token })).status).toBe(401);
    expect((await wsApi.post('/api/v1/auth/refresh', { token })).status).toBe(401);
    expect(await connectError(ws.url, token)).toBe('Authentication failed');
  }
  // A new login works.
  const again = await wsApi.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
  expect(again.status).toBe(200);
  expect((await restApi.get('/api/v1/auth/me', { token: again.body.accessToken })).status).toBe(200);
}
