// A small REST client for specs: JSON in, JSON out, bearer token optional.
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** How a kept-alive connection the server was closing shows: undici's "other side closed", or a reset. */
const CLOSED_UNDER_US = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/**
 * fetch, sent again once when an idempotent request went out on a kept-alive connection that the server had just
 * closed for idleness (undici: "other side closed", or "read ECONNRESET" when the close reached the request's
 * bytes). Node's server closes an idle connection after 5 s and undici drops it after 4; on a loaded machine the
 * client's timer can fire late, and the request meets the closing socket. A browser retries such a request itself.
 */
async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (!CLOSED_UNDER_US.has(cause?.code ?? '') || !IDEMPOTENT.has(String(init.method).toUpperCase())) throw err;
    return fetch(url, init);
  }
}

export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetchOnce(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (metrics, docs)
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Binds `http` to one base URL. */
export function client(baseUrl: string) {
  return {
    get: <T = any>(path: string, o?: RequestOptions) => http<T>(baseUrl, 'GET', path, o),
    post: <T = any>(path: string, o?: RequestOptions) => http<T>(baseUrl, 'POST', path, o),
    put: <T = any>(path: string, o?: RequestOptions) => http<T>(baseUrl, 'PUT', path, o),
    patch: <T = any>(path: string, o?: RequestOptions) => http<T>(baseUrl, 'PATCH', path, o),
    delete: <T = any>(path: string, o?: RequestOptions) => http<T>(baseUrl, 'DELETE', path, o),
  };
}

/**
 * One series' value in a /metrics text: `series` is the name with its labels as Prometheus prints them (e.g.
 * `realtime_delivery_lag_seconds_count{kind="conversation"}`); undefined when the text has no such line.
 */
export function metricValue(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
