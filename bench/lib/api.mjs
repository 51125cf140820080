// Minimal REST helpers for the benchmarks.
import { ADMIN } from './procs.mjs';

export async function call(url, method, path, { token, body } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
  return json;
}

/** Registers `count` users (a few at a time) and answers them with their tokens. */
export async function registerUsers(url, count, tag = 'bench') {
  const users = [];
  const stamp = Date.now().toString(36);
  for (let i = 0; i < count; i += 8) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 8); j += 1) {
      batch.push(
        call(url, 'POST', '/api/v1/auth/register', {
          body: { email: `${tag}-${stamp}-${j}@bench.local`, password: 'bench-password', displayName: `${tag} ${j}` },
        }).then((r) => ({ ...r.user, token: r.accessToken })),
      );
    }
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

export async function adminToken(url) {
  const r = await call(url, 'POST', '/api/v1/auth/login', { body: ADMIN });
  return r.accessToken;
}
