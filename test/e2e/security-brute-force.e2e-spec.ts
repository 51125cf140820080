// Attack: brute-force caps judged as the attempts arrive. A burst sent at once must not get more verdicts than
// the cap allows (the count is taken before the password or code is checked, and given back on success).
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { type Ack, closeAllSockets, connect, emitAck } from '../helpers/sockets.js';

describeE2E('Security: atomic brute-force caps', () => {
  let sut: TestApp;
  let admin: TestUser;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp();
    admin = await loginAdmin(sut);
    api = client(sut.url);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should answer at most 10 wrong logins for one email sent at once, and 429 to the rest', async () => {
    const victim = await registerUser(sut);
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        api.post('/api/v1/auth/login', { body: { email: victim.email, password: `guess-${i}` } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    expect(answers.find((a) => a.status === 429)?.body.code).toBe('RATE_LIMITED');
    // The cap holds for the right password too, until the window ends.
    const right = await api.post('/api/v1/auth/login', { body: { email: victim.email, password: victim.password } });
    expect(right.status).toBe(429);
  });

  it('should give a successful login its point back, so logging in often never locks an account', async () => {
    const user = await registerUser(sut);
    for (let i = 0; i < 9; i += 1) {
      const wrong = await api.post('/api/v1/auth/login', { body: { email: user.email, password: `wrong-${i}` } });
      expect(wrong.status).toBe(401);
    }
    for (let i = 0; i < 15; i += 1) {
      const ok = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(ok.status).toBe(200);
    }
    const tenth = await api.post('/api/v1/auth/login', { body: { email: user.email, password: 'wrong-again' } });
    expect(tenth.status).toBe(401);
    const limited = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
    expect(limited.status).toBe(429);
  });

  it('should answer at most 5 wrong kiosk codes sent at once on one workstation, and RATE_LIMITED to the rest', async () => {
    const created = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Burst' } });
    expect(created.status).toBe(201);
    const socket = await connect(sut.url, created.body.token);
    const acks: Ack[] = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        emitAck(socket, 'validate_code', { code: `Z${String(i).padStart(5, '0')}` }),
      ),
    );
    const codes = acks.map((a) => (a.ok ? 'ok' : a.error.code));
    expect(codes.filter((c) => c === 'INVALID_CODE')).toHaveLength(5);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(25);
  });

  it('should give a right kiosk code its point back', async () => {
    const created = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Refund' } });
    const socket = await connect(sut.url, created.body.token);
    const session = await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 600 } });
    for (let i = 0; i < 4; i += 1) {
      expect(await emitAck(socket, 'validate_code', { code: 'ZZZZZ0' })).toMatchObject({ ok: false });
    }
    // A workstation may validate its own session's code again (after a reconnect): each right code is free.
    for (let i = 0; i < 5; i += 1) {
      expect(await emitAck(socket, 'validate_code', { code: session.body.accessCode })).toMatchObject({ ok: true });
    }
    expect(await emitAck(socket, 'validate_code', { code: 'ZZZZZ0' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CODE' },
    });
    expect(await emitAck(socket, 'validate_code', { code: session.body.accessCode })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
  });
});
