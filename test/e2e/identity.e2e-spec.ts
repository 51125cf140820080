import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { NormalizeUserText1796256000000 } from '../../src/database/migrations/1796256000000-normalize-user-text.js';
import { createBackend, type TestApp, startApp, startInstance } from '../helpers/app.js';
import { loginAdmin, registerUser, uniqueEmail } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, waitDisconnect } from '../helpers/sockets.js';

describeE2E('Identity', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
  });
  afterAll(() => sut.close());

  describe('register', () => {
    it('should answer 201 with a token and the bare user', async () => {
      const email = uniqueEmail();
      const res = await api.post('/api/v1/auth/register', {
        body: { email, password: 'password-123', displayName: 'Ada', role: 'admin' },
      });
      expect(res.status).toBe(201);
      expect(typeof res.body.accessToken).toBe('string');
      expect(res.body.user).toEqual({
        id: expect.any(String),
        email,
        displayName: 'Ada',
        role: 'user',
        createdAt: expect.any(String),
      });
    });

    it('should refuse a taken email with 409 CONFLICT, whatever its case', async () => {
      const email = uniqueEmail();
      await api.post('/api/v1/auth/register', { body: { email, password: 'password-123', displayName: 'A' } });
      const res = await api.post('/api/v1/auth/register', {
        body: { email: email.toUpperCase(), password: 'password-123', displayName: 'B' },
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('CONFLICT');
    });

    // macOS input sends "é" decomposed (NFD: "e" + U+0301), most others composed (NFC): one address either way.
    it('should refuse a taken email typed in another Unicode form with 409 CONFLICT, and log it in either way', async () => {
      const composed = uniqueEmail('zo\u00e9');
      const first = await api.post('/api/v1/auth/register', {
        body: { email: composed.normalize('NFD'), password: 'password-123', displayName: 'Zoe\u0301' },
      });
      expect(first.status).toBe(201);
      const second = await api.post('/api/v1/auth/register', {
        body: { email: composed, password: 'password-123', displayName: 'B' },
      });
      expect([second.status, second.body.code]).toEqual([409, 'CONFLICT']);
      const login = await api.post('/api/v1/auth/login', { body: { email: composed, password: 'password-123' } });
      expect([login.status, login.body.user?.id]).toEqual([200, first.body.user.id]);
      // Kept in the composed form, as every other account's.
      expect(login.body.user).toMatchObject({ email: composed, displayName: 'Zo\u00e9' });
    });

    it('should refuse bad fields with 400 VALIDATION_FAILED and field details', async () => {
      const res = await api.post('/api/v1/auth/register', {
        body: { email: 'nope', password: 'short', displayName: '' },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'displayName',
        'email',
        'password',
      ]);
    });

    it('should answer a charset or content encoding it cannot read with 400 VALIDATION_FAILED (not a 415)', async () => {
      const unreadable: Record<string, string>[] = [
        { 'content-type': 'application/json; charset=ebcdic' },
        { 'content-type': 'application/json', 'content-encoding': 'br2' },
      ];
      for (const headers of unreadable) {
        const res = await api.post('/api/v1/auth/login', { raw: '{"email":"a@b.c","password":"p"}', headers });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', details: [] });
      }
    });

    it('should answer malformed JSON with 400 VALIDATION_FAILED', async () => {
      const res = await api.post('/api/v1/auth/register', { raw: '{"email": ' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('should answer a JSON body that is not an object or array with 400, and read one behind a byte order mark', async () => {
      const text = await api.post('/api/v1/auth/login', { raw: '"just a string"' });
      expect(text.status).toBe(400);
      expect(text.body.code).toBe('VALIDATION_FAILED');
      const marked = await api.post('/api/v1/auth/login', { raw: '\uFEFF{"email":"nobody@example.com"}' });
      // Parsed: the validation names the missing password.
      expect(marked.status).toBe(400);
      expect(JSON.stringify(marked.body.details)).toContain('password');
    });

    it('should answer a deeply nested body with 400 VALIDATION_FAILED, not a 500', async () => {
      const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
      const res = await api.post('/api/v1/auth/login', { raw: `{"email":"x@y.z","password":"p","extra":${deep}}` });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('should answer an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await api.post('/api/v1/auth/register', {
        body: { email: uniqueEmail(), password: 'x'.repeat(300_000), displayName: 'A' },
      });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('login', () => {
    it('should answer 200 with a token for the right password and 401 otherwise', async () => {
      const user = await registerUser(sut);
      const ok = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(ok.status).toBe(200);
      expect(ok.body.user.id).toBe(user.id);
      const bad = await api.post('/api/v1/auth/login', { body: { email: user.email, password: 'wrong-password' } });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('UNAUTHORIZED');
    });

    it('should answer 429 RATE_LIMITED after 10 failures for one email, even with the right password', async () => {
      const user = await registerUser(sut);
      for (let i = 0; i < 10; i += 1) {
        const res = await api.post('/api/v1/auth/login', { body: { email: user.email, password: `wrong-${i}` } });
        expect(res.status).toBe(401);
      }
      const limited = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
    });
  });

  describe('me and refresh', () => {
    it('should answer the bare user for its token', async () => {
      const user = await registerUser(sut, 'Grace');
      const res = await api.get('/api/v1/auth/me', { token: user.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: user.id,
        email: user.email,
        displayName: 'Grace',
        role: 'user',
        createdAt: expect.any(String),
      });
    });

    it('should answer 401 without a token and with a forged one', async () => {
      expect((await api.get('/api/v1/auth/me')).status).toBe(401);
      const forged = await api.get('/api/v1/auth/me', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' });
      expect(forged.status).toBe(401);
      expect(forged.body.code).toBe('UNAUTHORIZED');
    });

    it('should give a fresh working token on refresh', async () => {
      const user = await registerUser(sut);
      const res = await api.post('/api/v1/auth/refresh', { token: user.token });
      expect(res.status).toBe(200);
      const me = await api.get('/api/v1/auth/me', { token: res.body.accessToken });
      expect(me.body.id).toBe(user.id);
    });
  });

  describe('users', () => {
    it('should let users search by name or email prefix and see only id and displayName', async () => {
      const tag = `Zq${Date.now().toString(36)}`;
      const a = await registerUser(sut, `${tag} Alpha`);
      await registerUser(sut, `${tag} Beta`);
      const res = await api.get(`/api/v1/users?query=${encodeURIComponent(tag.toLowerCase())}`, { token: a.token });
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        { id: a.id, displayName: `${tag} Alpha` },
        { id: expect.any(String), displayName: `${tag} Beta` },
      ]);
      expect(res.body.nextCursor).toBeNull();
    });

    it('should find a display name whatever Unicode form it was typed or searched in (NFC or NFD)', async () => {
      const tag = `Nf${Date.now().toString(36)}`;
      const decomposed = await registerUser(sut, `${tag} Zoe\u0301`);
      const composed = await registerUser(sut, `${tag} Zo\u00e9`);
      const both = [decomposed, composed].map((u) => ({ id: u.id, displayName: `${tag} Zo\u00e9` }));
      for (const query of [`${tag} zo\u00e9`, `${tag} zoe\u0301`]) {
        const res = await api.get(`/api/v1/users?query=${encodeURIComponent(query)}`, { token: composed.token });
        expect(res.status).toBe(200);
        expect(res.body.items).toHaveLength(2);
        expect(res.body.items).toEqual(expect.arrayContaining(both));
      }
    });

    // JavaScript lower-cases "İ" to "i" + U+0307 and a final "Σ" to "ς"; the database, which orders and indexes the
    // names, to "i" and "σ". A prefix folded by the one never matched a name folded by the other, and a page's cursor
    // so folded sorted after the rows that follow it.
    it('should find and page names as the database folds their case (a Turkish İ, a Greek Σ)', async () => {
      const tag = `Cf${Date.now().toString(36)}`;
      const names = [`${tag} İa`, `${tag} ib`, `${tag} İc`, `${tag} Οδυσσεας`];
      const users = await Promise.all(names.map((name) => registerUser(sut, name)));
      const found = async (query: string) => {
        const res = await api.get(`/api/v1/users?query=${encodeURIComponent(query)}`, { token: users[0].token });
        expect(res.status).toBe(200);
        return res.body.items.map((u: { displayName: string }) => u.displayName);
      };
      expect(await found(`${tag} İ`)).toEqual(names.slice(0, 3));
      expect(await found(`${tag} ΟΔΥΣ`)).toEqual([names[3]]);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const after: string = cursor === null ? '' : `&cursor=${cursor}`;
        const res = await api.get(`/api/v1/users?query=${tag}&limit=1${after}`, { token: users[0].token });
        paged.push(...res.body.items.map((u: { displayName: string }) => u.displayName));
        cursor = res.body.nextCursor;
      } while (cursor !== null && paged.length <= names.length);
      expect(paged).toEqual(names);
    });

    // Rows stored before names and emails were normalised as they came in.
    it('should bring stored names and emails to NFC by a migration, leaving an email whose NFC form is taken', async () => {
      const admin = await loginAdmin(sut);
      const tag = `Mg${Date.now().toString(36)}`;
      const email = uniqueEmail('zo\u00e9');
      const twin = uniqueEmail('zo\u00e9');
      const dataSource = sut.app.get(DataSource);
      const [{ id }]: { id: string }[] = await dataSource.query(
        `INSERT INTO users (email, password_hash, display_name) VALUES ($1, 'x', $2) RETURNING id`,
        [email.normalize('NFD'), `${tag} Zoe\u0301`],
      );
      // Two accounts the defect let in, one address in two forms: which is the person's is not the migration's call.
      await dataSource.query(
        `INSERT INTO users (email, password_hash, display_name) VALUES ($1, 'x', $3), ($2, 'x', $3)`,
        [twin, twin.normalize('NFD'), `${tag} Twin`],
      );
      const runner = dataSource.createQueryRunner();
      try {
        await new NormalizeUserText1796256000000().up(runner);
      } finally {
        await runner.release();
      }
      const byName = await api.get(`/api/v1/users?query=${encodeURIComponent(`${tag} zo\u00e9`)}`, {
        token: admin.token,
      });
      expect(byName.body.items).toEqual([expect.objectContaining({ id, email, displayName: `${tag} Zo\u00e9` })]);
      const twins = await api.get(`/api/v1/users?query=${tag}%20twin`, { token: admin.token });
      expect(twins.body.items.map((u: { email: string }) => u.email).sort()).toEqual(
        [twin, twin.normalize('NFD')].sort(),
      );
    });

    it('should page with an opaque cursor and refuse a malformed one', async () => {
      const tag = `Pg${Date.now().toString(36)}`;
      const a = await registerUser(sut, `${tag} 1`);
      await registerUser(sut, `${tag} 2`);
      await registerUser(sut, `${tag} 3`);
      const first = await api.get(`/api/v1/users?query=${tag}&limit=2`, { token: a.token });
      expect(first.body.items).toHaveLength(2);
      const second = await api.get(`/api/v1/users?query=${tag}&limit=2&cursor=${first.body.nextCursor}`, {
        token: a.token,
      });
      expect(second.body.items.map((u: { displayName: string }) => u.displayName)).toEqual([`${tag} 3`]);
      expect(second.body.nextCursor).toBeNull();
      const bad = await api.get(`/api/v1/users?cursor=garbage`, { token: a.token });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const badLimit = await api.get(`/api/v1/users?limit=101`, { token: a.token });
      expect(badLimit.status).toBe(400);
    });

    it('should show admins the whole user with disabled', async () => {
      const admin = await loginAdmin(sut);
      const user = await registerUser(sut, 'Visible To Admin');
      const res = await api.get(`/api/v1/users?query=${encodeURIComponent(user.email)}`, { token: admin.token });
      expect(res.body.items).toEqual([
        {
          id: user.id,
          email: user.email,
          displayName: 'Visible To Admin',
          role: 'user',
          createdAt: expect.any(String),
          disabled: false,
        },
      ]);
    });

    it('should let only admins change a user, and revoke older tokens at once', async () => {
      const admin = await loginAdmin(sut);
      const user = await registerUser(sut);
      const refused = await api.patch(`/api/v1/users/${user.id}`, { token: user.token, body: { role: 'admin' } });
      expect(refused.status).toBe(403);
      const res = await api.patch(`/api/v1/users/${user.id}`, { token: admin.token, body: { role: 'admin' } });
      expect(res.status).toBe(200);
      expect(res.body.role).toBe('admin');
      const old = await api.get('/api/v1/auth/me', { token: user.token });
      expect(old.status).toBe(401);
      const relogin = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(relogin.body.user.role).toBe('admin');
    });

    it('should revoke older tokens and disconnect sockets on a PATCH that changes nothing, as on any other', async () => {
      // CONTRACT: "`{role?, disabled?}` → the user; every older token of that user stops working and their sockets are
      // disconnected": an admin signs an account out everywhere by sending it as it is.
      const admin = await loginAdmin(sut);
      const user = await registerUser(sut);
      const socket = await connect(sut.url, user.token);
      const gone = waitDisconnect(socket, 3000).catch(() => 'still connected');
      const res = await api.patch(`/api/v1/users/${user.id}`, { token: admin.token, body: { disabled: false } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, disabled: false, role: 'user' });
      expect((await api.get('/api/v1/auth/me', { token: user.token })).status).toBe(401);
      expect(await gone).toBe('io server disconnect');
      closeAllSockets();
    });

    // Attack: an admin being demoted (a stolen admin token, found out) races the demotion with a change of its own. The
    // guard checked the token as the request arrived; the change landed after the demotion had revoked that token. Two
    // admins demoting each other at once both succeeded, each after the other's demotion had committed.
    it("should not let a change by an admin land after that admin's demotion", async () => {
      const root = await loginAdmin(sut);
      for (let round = 0; round < 5; round += 1) {
        const pair = [await registerUser(sut, 'Admin A'), await registerUser(sut, 'Admin B')];
        const tokens: string[] = [];
        for (const one of pair) {
          await api.patch(`/api/v1/users/${one.id}`, { token: root.token, body: { role: 'admin' } });
          const login = await api.post('/api/v1/auth/login', { body: { email: one.email, password: one.password } });
          tokens.push(login.body.accessToken);
        }
        const [a, b] = await Promise.all([
          api.patch(`/api/v1/users/${pair[1].id}`, { token: tokens[0], body: { role: 'user' } }),
          api.patch(`/api/v1/users/${pair[0].id}`, { token: tokens[1], body: { role: 'user' } }),
        ]);
        // Whichever committed first revoked the other's token: the other is refused, and one admin is left.
        expect({ round, statuses: [a.status, b.status].sort() }).toEqual({ round, statuses: [200, 401] });
        const roles = await Promise.all(
          pair.map(async (one) => {
            const login = await api.post('/api/v1/auth/login', { body: { email: one.email, password: one.password } });
            return login.body.user.role as string;
          }),
        );
        expect({ round, roles: roles.sort() }).toEqual({ round, roles: ['admin', 'user'] });
      }
    });

    it('should refuse login for a disabled user and a malformed id', async () => {
      const admin = await loginAdmin(sut);
      const user = await registerUser(sut);
      await api.patch(`/api/v1/users/${user.id}`, { token: admin.token, body: { disabled: true } });
      const login = await api.post('/api/v1/auth/login', { body: { email: user.email, password: user.password } });
      expect(login.status).toBe(401);
      expect(login.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'Account disabled' });
      const bad = await api.patch(`/api/v1/users/not-a-uuid`, { token: admin.token, body: { disabled: true } });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const missing = await api.patch(`/api/v1/users/00000000-0000-4000-8000-000000000000`, {
        token: admin.token,
        body: { disabled: true },
      });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('NOT_FOUND');
    });
  });

  describe('service routes', () => {
    it('should answer health, docs, docs-json and metrics without a token', async () => {
      const health = await api.get('/api/v1/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
      expect(health.body.info.database.status).toBe('up');
      expect((await api.get('/docs')).status).toBe(200);
      const spec = await api.get('/docs-json');
      expect(spec.body.paths['/api/v1/auth/register']).toBeDefined();
      const metrics = await api.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('realtime_sockets_connected');
    });

    it('should answer an unknown route with 404 NOT_FOUND in the envelope', async () => {
      const res = await api.get('/api/v1/nowhere');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String), details: {} });
    });
  });
});

describeE2E('Identity: the cost of password hashes', () => {
  // A hash keeps the cost it was made at: after PASSWORD_HASH_* changed, an account's login took another time than an
  // unknown email's (checked against a decoy at the new cost), telling registered accounts apart, and an account
  // hashed at a weaker cost stayed so.
  it('should re-make a hash made at another cost at its next login, the password still the same', async () => {
    const backend = await createBackend();
    const email = uniqueEmail('cost');
    const password = 'a password of long standing';
    const stored = async (instance: TestApp): Promise<string> =>
      (await instance.app.get(DataSource).query(`SELECT password_hash FROM users WHERE email = $1`, [email]))[0]
        .password_hash as string;
    let instance: TestApp | undefined;
    try {
      instance = await startInstance(backend, { PASSWORD_HASH_MEMORY_KIB: '2048' });
      const registered = await client(instance.url).post('/api/v1/auth/register', {
        body: { email, password, displayName: 'Long Standing' },
      });
      expect(registered.status).toBe(201);
      expect(await stored(instance)).toMatch(/^\$argon2id\$v=19\$m=2048,/);
      await instance.close();

      instance = await startInstance(backend, { PASSWORD_HASH_MEMORY_KIB: '1024' });
      const api = client(instance.url);
      expect((await api.post('/api/v1/auth/login', { body: { email, password } })).status).toBe(200);
      expect(await stored(instance)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      expect((await api.post('/api/v1/auth/login', { body: { email, password } })).status).toBe(200);
      expect((await api.post('/api/v1/auth/login', { body: { email, password: 'not it' } })).status).toBe(401);
    } finally {
      await instance?.close();
      await backend.dispose();
    }
  });
});

describeE2E('Identity: the generated admin password', () => {
  // A DATA_DIR that already holds the file (left by an earlier database, restored from a backup, made by hand) with a
  // looser mode: writeFile's mode applies only to a file it creates, so the new password went into a file others may
  // read.
  it('should write it to DATA_DIR/admin-password.txt with mode 0600, even over an older file', async () => {
    const backend = await createBackend();
    const file = join(backend.env.DATA_DIR, 'admin-password.txt');
    await writeFile(file, 'admin@localhost\nan-old-password\n', { mode: 0o644 });
    await chmod(file, 0o644);
    let instance: TestApp | undefined;
    try {
      instance = await startInstance(backend, { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' });
      const [email, password] = (await readFile(file, 'utf8')).split('\n');
      expect(email).toBe('admin@localhost');
      expect(password).not.toBe('an-old-password');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const login = await client(instance.url).post('/api/v1/auth/login', { body: { email, password } });
      expect(login.status).toBe(200);
    } finally {
      await instance?.close();
      await backend.dispose();
    }
  });

  // Attack: registration is open and proves no ownership of the address, so anyone may hold an ordinary account at the
  // address an operator later names ADMIN_EMAIL (without ADMIN_PASSWORD). At the next start the server made that
  // account the admin and kept the password its registrant chose: the registrant signed in as admin.
  it('should not make an account registered at ADMIN_EMAIL an admin that keeps its own password', async () => {
    const backend = await createBackend();
    const email = uniqueEmail('boss');
    const chosen = 'chosen-by-whoever-registered';
    let instance: TestApp | undefined;
    try {
      instance = await startInstance(backend);
      const registered = await client(instance.url).post('/api/v1/auth/register', {
        body: { email, password: chosen, displayName: 'Not The Boss' },
      });
      expect(registered.status).toBe(201);
      await instance.close();

      instance = await startInstance(backend, { ADMIN_EMAIL: email, ADMIN_PASSWORD: '' });
      const api = client(instance.url);
      const squatter = await api.post('/api/v1/auth/login', { body: { email, password: chosen } });
      expect({ status: squatter.status, role: squatter.body?.user?.role }).toEqual({
        status: 401,
        role: undefined,
      });
      // The admin's password is the one the server generated, in DATA_DIR/admin-password.txt as on a creation.
      const [fileEmail, password] = (await readFile(join(backend.env.DATA_DIR, 'admin-password.txt'), 'utf8')).split(
        '\n',
      );
      expect(fileEmail).toBe(email);
      const admin = await api.post('/api/v1/auth/login', { body: { email, password } });
      expect({ status: admin.status, role: admin.body?.user?.role }).toEqual({ status: 200, role: 'admin' });
    } finally {
      await instance?.close();
      await backend.dispose();
    }
  });
});
