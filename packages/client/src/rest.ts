// The REST half: openapi-fetch typed by the server's own OpenAPI document (src/generated/openapi.ts), with the
// bearer token added to every request and one renewal of a rejected token.
import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './generated/openapi.js';

export type { paths };
export type RestClient = Client<paths>;

/** A REST answer that is not a success, carrying the contract's error body. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export interface RestAuth {
  token(): Promise<string>;
  /** Asked when the server answers 401 to `stale`: a new token, or undefined to give up. */
  renew(stale: string | undefined): Promise<string | undefined>;
}

/** A request that got no answer within its time: it fails as a network error would (the caller retries or polls). */
export class RestTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms`);
    this.name = 'RestTimeout';
  }
}

/**
 * `fetchImpl` with every request aborted after `timeoutMs`: a connection that hangs (a mobile network gone quiet)
 * would otherwise hold a REST send, and the one-at-a-time outbox behind it, or a poll, forever. The abort is armed for
 * the whole exchange, body included, and is a no-op once the answer has been read.
 */
function timedFetch(fetchImpl: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new RestTimeout(timeoutMs)), timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    const given = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    if (given?.aborted) controller.abort(given.reason);
    else given?.addEventListener('abort', () => controller.abort(given.reason), { once: true });
    return fetchImpl(input, { ...init, signal: controller.signal });
  };
}

export function createRestClient(
  baseUrl: string,
  auth: RestAuth,
  fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init),
  timeoutMs = 10_000,
): RestClient {
  const retried = new WeakSet<Request>();
  const originals = new WeakMap<Request, Request>();
  const timed = timedFetch(fetchImpl, timeoutMs);
  const client = createFetchClient<paths>({ baseUrl, fetch: timed });
  const middleware: Middleware = {
    async onRequest({ request }) {
      const copy = request.clone();
      request.headers.set('authorization', `Bearer ${await auth.token()}`);
      originals.set(request, copy);
      return request;
    },
    async onResponse({ request, response }) {
      if (response.status !== 401 || retried.has(request)) return response;
      const original = originals.get(request);
      const stale = request.headers.get('authorization')?.replace(/^Bearer /, '');
      const token = original ? await auth.renew(stale) : undefined;
      if (!original || token === undefined) return response;
      original.headers.set('authorization', `Bearer ${token}`);
      retried.add(original);
      return timed(original);
    },
  };
  client.use(middleware);
  return client;
}

/** The data of an openapi-fetch answer, or a RestError. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = (result.error ?? {}) as { code?: string; message?: string; details?: unknown };
  throw new RestError(
    result.response.status,
    body.code ?? 'HTTP_' + result.response.status,
    body.message ?? result.response.statusText,
    body.details,
  );
}
