// REST through the SDK's client (bearer token and renewal included). Screens name the contract's routes directly;
// answers are typed with the protocol's payloads.
import { AckFailure, type RealtimeClient, RestError } from '@realtime-hub/client';
import i18n from './i18n';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Call = (
  path: string,
  init: { body?: unknown; headers?: Record<string, string> },
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

export async function api<T>(
  client: RealtimeClient,
  method: Method,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  const rest = client.rest as unknown as Record<Method, Call>;
  const result = await rest[method](path, { body, headers });
  if (result.response.ok) return result.data as T;
  const error = (result.error ?? {}) as { code?: string; message?: string; details?: unknown };
  throw new RestError(
    result.response.status,
    error.code ?? `HTTP_${result.response.status}`,
    error.message ?? result.response.statusText,
    error.details,
  );
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: 'admin' | 'user';
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `path` asking for the page after `cursor`. */
export function withCursor(path: string, cursor: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
}

/**
 * The pages GET `path` lists, one after the other, as one page: every page (for a list that must show whole, the
 * kiosks'), or from the first until they hold `atLeast` items (a list read again as far as it was shown), with the
 * cursor of the page after them.
 */
export async function allPages<T>(client: RealtimeClient, path: string, atLeast = Infinity): Promise<Page<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api<Page<T>>(client, 'GET', cursor === null ? path : withCursor(path, cursor));
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && items.length < atLeast);
  return { items, nextCursor: cursor };
}

/** Sign in and sign up happen before any client exists: plain fetch. */
export async function authenticate(
  kind: 'login' | 'register',
  body: { email: string; password: string; displayName?: string },
): Promise<{ accessToken: string; user: User }> {
  const response = await fetch(`/api/v1/auth/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as {
    accessToken?: string;
    user?: User;
    code?: string;
    message?: string;
    details?: unknown;
  };
  // The details name the fields of a validation failure, for errorText to name them too.
  if (!response.ok)
    throw new RestError(
      response.status,
      answer.code ?? `HTTP_${response.status}`,
      answer.message ?? '',
      answer.details,
    );
  return answer as { accessToken: string; user: User };
}

/** The fields a validation failure names (its details' `field`s), in order; none for any other error. */
export function refusedFields(error: unknown): string[] {
  if (!(error instanceof RestError || error instanceof AckFailure) || error.code !== 'VALIDATION_FAILED') return [];
  const details: unknown = error instanceof RestError ? error.details : error.error.details;
  if (!Array.isArray(details)) return [];
  return details.flatMap((d: { field?: unknown }) => (typeof d?.field === 'string' && d.field ? [d.field] : []));
}

/**
 * A sentence for the user, in their language, for a failed request: one per error code of the contract (a field's
 * name is given for a validation failure). The server's own message, in English, is for logs and developers. A server
 * out of reach is said as the caller goes on: a read that is asked again (`retried`, a list's load) says the app
 * retries; an action, which is not retried, asks the user to try again.
 */
export function errorText(error: unknown, retried = false): string {
  if (error instanceof RestError || error instanceof AckFailure) {
    const code = error.code;
    if (code === 'VALIDATION_FAILED') {
      const [field] = refusedFields(error);
      if (!field) return i18n.t('errors.VALIDATION_FAILED');
      const label = i18n.exists(`errors.fields.${field}`) ? i18n.t(`errors.fields.${field}`) : field;
      return i18n.t('errors.invalidField', { field: label });
    }
    // A sign-in with the right password to an account an admin disabled (the server's message says so).
    if (code === 'UNAUTHORIZED' && error.message === 'Account disabled') return i18n.t('errors.accountDisabled');
    return i18n.exists(`errors.${code}`) ? i18n.t(`errors.${code}`) : i18n.t('errors.other');
  }
  // fetch's TypeError ("Failed to fetch"), a timeout: the server was not reached.
  return i18n.t(retried ? 'errors.network' : 'errors.networkAction');
}

/**
 * Loads until it succeeds (every 2 s after a failure, e.g. while the network is down), then hands the answer over;
 * answers the function that cancels it, for a useEffect cleanup.
 */
export function loadUntilDone<T>(load: () => Promise<T>, loaded: (value: T) => void, retryMs = 2000): () => void {
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = () => {
    load().then(
      (value) => {
        if (!cancelled) loaded(value);
      },
      () => {
        if (!cancelled) timer = setTimeout(attempt, retryMs);
      },
    );
  };
  attempt();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
