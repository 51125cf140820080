// WS_MAX_SOCKETS_PER_USER (issue 14, item 4), on one instance or spread over several: `apps` are where the
// attacker's sockets connect, in turn. The apps run with WS_MAX_SOCKETS_PER_USER=3.
import type { Socket } from 'socket.io-client';
import type { TestApp } from './app.js';
import type { TestUser } from './factories.js';
import { connect, eventually } from './sockets.js';

export const SOCKET_LIMIT = 3;

async function attempt(app: TestApp, token: string): Promise<Socket | string> {
  try {
    return await connect(app.url, token);
  } catch (err) {
    return (err as Error).message;
  }
}

export async function socketsBeyondTheLimitAreRefused(apps: TestApp[], user: TestUser): Promise<void> {
  const open: Socket[] = [];
  for (let i = 0; i < SOCKET_LIMIT; i += 1) open.push(await connect(apps[i % apps.length].url, user.token));
  for (const app of apps) expect(await attempt(app, user.token)).toBe('Too many connections');
  // A socket that leaves gives its place back, wherever it was.
  open[0].close();
  await eventually(async () => {
    const again = await attempt(apps[apps.length - 1], user.token);
    expect(typeof again).not.toBe('string');
  });
}

export async function aBurstOfSocketsGetsOnlyTheLimit(apps: TestApp[], user: TestUser): Promise<void> {
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(apps[i % apps.length], user.token)));
  expect(results.filter((r) => typeof r !== 'string')).toHaveLength(SOCKET_LIMIT);
  expect(results.filter((r) => r === 'Too many connections')).toHaveLength(12 - SOCKET_LIMIT);
}
