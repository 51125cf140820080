// Attack: a stolen token (or a device left logged in) lives on. POST /auth/logout ends every token and socket of
// the account; JWT_SESSION_MAX_AGE stops a chain of refreshes from going on forever.
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { logoutEndsEverySession } from '../helpers/session-attacks.js';
import { closeAllSockets, connect, emitAck, sleep, waitDisconnect, waitFor } from '../helpers/sockets.js';

/** Long enough for a loaded machine to log in and refresh well within it. */
const MAX_AGE = 6;

const claims = (token: string): Record<string, number> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

describeE2E('Security: sessions end', () => {
  describe('logout', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await startApp();
    });
    afterEach(() => closeAllSockets());
    afterAll(() => sut.close());

    it('should make every token of the account stop working and disconnect its sockets', () =>
      logoutEndsEverySession(sut, sut));

    it('should not let a refresh sent at the same time as the logout outlive it', async () => {
      const api = client(sut.url);
      const user = await registerUser(sut, 'Racer');
      for (let round = 0; round < 5; round += 1) {
        const login = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
        const token = login.body.accessToken as string;
        const [logout, ...refreshes] = await Promise.all([
          api.post('/api/v1/auth/logout', { token }),
          ...Array.from({ length: 3 }, () => api.post('/api/v1/auth/refresh', { token })),
        ]);
        expect(logout.status).toBe(204);
        for (const refresh of refreshes) {
          expect([200, 401]).toContain(refresh.status);
          if (refresh.status !== 200) continue;
          // Whichever came first, a token minted from the revoked one is revoked with it.
          const me = await api.get('/api/v1/auth/me', { token: refresh.body.accessToken });
          expect({ round, status: me.status }).toEqual({ round, status: 401 });
        }
      }
    });

    it('should refuse logout without a token, and to kiosk tokens', async () => {
      const api = client(sut.url);
      expect((await api.post('/api/v1/auth/logout')).status).toBe(401);
      const admin = await loginAdmin(sut);
      const kiosk = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'K' } });
      expect((await api.post('/api/v1/auth/logout', { token: kiosk.body.token })).status).toBe(403);
    });
  });

  describe('JWT_SESSION_MAX_AGE', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await startApp({ JWT_SESSION_MAX_AGE: `${MAX_AGE}s`, JWT_EXPIRES_IN: '1h' });
    });
    afterEach(() => closeAllSockets());
    afterAll(() => sut.close());

    it('should never let a refresh extend a token past the session age of its login', async () => {
      const api = client(sut.url);
      const user = await registerUser(sut, 'Refresher');
      const login = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      const first = claims(login.body.accessToken);
      expect(first.exp).toBeLessThanOrEqual(first.auth_time + MAX_AGE);
      await sleep(1100);
      const refreshed = await api.post('/api/v1/auth/refresh', { token: login.body.accessToken });
      expect(refreshed.status).toBe(200);
      const next = claims(refreshed.body.accessToken);
      expect(next.auth_time).toBe(first.auth_time);
      expect(next.exp).toBe(first.auth_time + MAX_AGE);
      // A refresh of the refreshed token stays in the same chain.
      const again = await api.post('/api/v1/auth/refresh', { token: refreshed.body.accessToken });
      expect(claims(again.body.accessToken).exp).toBe(first.auth_time + MAX_AGE);
    });

    it('should end a socket that refreshed over auth:refresh when the session age is reached', async () => {
      const api = client(sut.url);
      const user = await registerUser(sut, 'Socket Refresher');
      const socket = await connect(sut.url, user.token);
      const refreshed = await api.post('/api/v1/auth/refresh', { token: user.token });
      const ack = await emitAck(socket, 'auth:refresh', { token: refreshed.body.accessToken });
      expect(ack.ok).toBe(true);
      expect(Date.parse(ack.ok ? ack.data.expiresAt : '')).toBeLessThanOrEqual(
        (claims(user.token).auth_time + MAX_AGE) * 1000,
      );
      const expired = waitFor(socket, 'error', (e: { code: string }) => e.code === 'TOKEN_EXPIRED', 20_000);
      const gone = waitDisconnect(socket, 20_000);
      await expired;
      await gone;
      // Past the age, refreshing is refused: a new login is needed.
      expect((await api.post('/api/v1/auth/refresh', { token: refreshed.body.accessToken })).status).toBe(401);
      const login = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(login.status).toBe(200);
    });
  });
});
