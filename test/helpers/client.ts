// The SDK (@realtime-hub/client) in specs: clients created here are closed by closeAllClients() (call it in
// afterEach), and a few waits on what a client shows.
import { type ClientOptions, type ConnectionState, createClient, type RealtimeClient } from '@realtime-hub/client';
import { sleep } from './sockets.js';

const open = new Set<RealtimeClient>();

/** A client with timings short enough for specs; `getToken` defaults to the fixed `token`. */
export function sdkClient(
  url: string,
  token: string,
  options: Partial<ClientOptions> = {},
): { client: RealtimeClient; states: ConnectionState[]; errors: unknown[] } {
  const states: ConnectionState[] = [];
  const errors: unknown[] = [];
  const client = createClient({
    url,
    getToken: () => token,
    transports: ['websocket'],
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 500,
    timeoutMs: 3000,
    fallbackAfterMs: 30_000,
    pollIntervalMs: 300,
    onError: (error) => errors.push(error),
    ...options,
  });
  open.add(client);
  client.connection.subscribe((state) => states.push(state));
  return { client, states, errors };
}

export function closeAllClients(): void {
  for (const client of open) client.close();
  open.clear();
}

/** Polls `predicate` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await sleep(20);
  }
}

export function waitForState(client: RealtimeClient, state: ConnectionState, timeoutMs = 15_000): Promise<void> {
  return waitUntil(() => client.state === state, `the client is ${state} (it is ${client.state})`, timeoutMs);
}
