// Attack: registration floods (each costs an argon2id hash), and dodging per-IP limits by writing X-Forwarded-For.
// REGISTER_RATE_LIMIT counts per client IP; TRUST_PROXY decides whether, and from where, X-Forwarded-For is read.
import type { SocketData } from '../../src/realtime/channel.service.js';
import { RealtimeServer } from '../../src/realtime/realtime.server.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { uniqueEmail } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect } from '../helpers/sockets.js';

function registerFrom(app: TestApp, forwardedFor?: string) {
  return client(app.url).post('/api/v1/auth/register', {
    body: { email: uniqueEmail('flood'), password: 'password-123', displayName: 'Flood' },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
}

async function socketClientIp(app: TestApp, token: string, forwardedFor: string): Promise<string | undefined> {
  const socket = await connect(app.url, token, { headers: { 'x-forwarded-for': forwardedFor } });
  const [remote] = await app.app.get(RealtimeServer).server.in(socket.id!).fetchSockets();
  return (remote.data as SocketData).clientIp;
}

describeE2E('Security: client IP and registration limits', () => {
  afterEach(() => closeAllSockets());

  describe('TRUST_PROXY=false (the default)', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({ REGISTER_RATE_LIMIT: '3' });
    });
    afterAll(() => sut.close());

    it('should refuse registrations beyond REGISTER_RATE_LIMIT from one address, even sent at once', async () => {
      const statuses = (await Promise.all(Array.from({ length: 10 }, () => registerFrom(sut)))).map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
      const refused = await registerFrom(sut);
      expect(refused.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    });

    it('should ignore X-Forwarded-For written by the client, on REST and on the socket handshake', async () => {
      const other = await startApp({ REGISTER_RATE_LIMIT: '3' });
      try {
        const answers = [];
        for (let i = 0; i < 5; i += 1) answers.push(await registerFrom(other, `203.0.113.${i}`));
        expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 429, 429]);
        expect(await socketClientIp(other, answers[0].body.accessToken, '203.0.113.50')).toMatch(
          /^(::ffff:)?127\.0\.0\.1$/,
        );
      } finally {
        await other.close();
      }
    });
  });

  describe('TRUST_PROXY=1 (one proxy in front)', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({ REGISTER_RATE_LIMIT: '3', TRUST_PROXY: '1' });
    });
    afterAll(() => sut.close());

    it('should take the right-most X-Forwarded-For entry, which the proxy wrote, not the ones the client wrote', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await registerFrom(sut, `203.0.113.${i}, 198.51.100.7`)).status);
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      // Another client behind the same proxy is counted on its own.
      expect((await registerFrom(sut, '198.51.100.8')).status).toBe(201);
    });
  });

  describe('TRUST_PROXY=<list of proxies>', () => {
    let sut: TestApp;
    beforeAll(async () => {
      sut = await startApp({ REGISTER_RATE_LIMIT: '3', TRUST_PROXY: '127.0.0.1, ::1, 10.0.0.0/8' });
    });
    afterAll(() => sut.close());

    it('should take the right-most address that is not a trusted proxy', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await registerFrom(sut, `203.0.113.${i}, 198.51.100.9, 10.1.2.3`)).status);
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
    });

    it('should give a socket the same client IP as its REST requests', async () => {
      const ip = '198.51.100.10';
      const registered = await registerFrom(sut, `203.0.113.77, ${ip}`);
      expect(registered.status).toBe(201);
      expect(await socketClientIp(sut, registered.body.accessToken, `203.0.113.77, ${ip}, 10.9.9.9`)).toBe(ip);
    });
  });
});
