// Attack: rebuilding someone's email one character at a time through user search. For ordinary users the search
// matches display names only; admins may also search by email.
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';

describeE2E('Security: user search', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp();
    api = client(sut.url);
  });
  afterAll(() => sut.close());

  it('should not let an ordinary user find anyone by an email prefix', async () => {
    const victim = await registerUser(sut, 'Quiet Person');
    const attacker = await registerUser(sut, 'Curious');
    const local = victim.email.split('@')[0];
    for (const prefix of [local.slice(0, 1), local.slice(0, 6), local, victim.email]) {
      const res = await api.get(`/api/v1/users?query=${encodeURIComponent(prefix)}&limit=100`, {
        token: attacker.token,
      });
      expect(res.status).toBe(200);
      expect(res.body.items.map((u: { id: string }) => u.id)).not.toContain(victim.id);
    }
    // By name they are found, without their email.
    const byName = await api.get('/api/v1/users?query=quiet', { token: attacker.token });
    expect(byName.body.items).toEqual([{ id: victim.id, displayName: 'Quiet Person' }]);
  });

  it('should let admins search by email', async () => {
    const victim = await registerUser(sut, 'Found By Admin');
    const admin = await loginAdmin(sut);
    const res = await api.get(`/api/v1/users?query=${encodeURIComponent(victim.email)}`, { token: admin.token });
    expect(res.body.items).toEqual([expect.objectContaining({ id: victim.id, email: victim.email })]);
  });
});
