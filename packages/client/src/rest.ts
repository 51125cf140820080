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
  /** Asked when the server answers 401 to a token: a new token, or undefined to give up. */
  renew(): Promise<string | undefined>;
}

export function createRestClient(baseUrl: string, auth: RestAuth, fetchImpl?: typeof fetch): RestClient {
  const retried = new WeakSet<Request>();
  const originals = new WeakMap<Request, Request>();
  const client = createFetchClient<paths>({ baseUrl, fetch: fetchImpl });
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
      const token = original ? await auth.renew() : undefined;
      if (!original || token === undefined) return response;
      original.headers.set('authorization', `Bearer ${token}`);
      retried.add(original);
      return (fetchImpl ?? globalThis.fetch)(original);
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
