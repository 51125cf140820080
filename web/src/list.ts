// What the list screens (documents, jobs, suggestions) share: their first page of items, loaded until it arrives (and
// whether it is loading or failing meanwhile, for `ListState`: `useLoad`, which the chat and the kiosks' admin use too),
// an error line with the way to run an action against it, and a create form whose created item joins the list. Each
// screen keeps its own routes and fields.
import type { RealtimeClient } from '@realtime-hub/client';
import { type Dispatch, type FormEvent, type SetStateAction, useCallback, useEffect, useState } from 'react';
import { api, errorText, loadUntilDone, type Page } from './api';
import { useErrorLine } from './components/ErrorLine';

export interface ListPage<T> {
  client: RealtimeClient;
  items: T[];
  setItems: Dispatch<SetStateAction<T[]>>;
  /**
   * Where the first page stands: `loading` until its answer, `failed` while it cannot be had (asked again every 2 s,
   * or at once by `retry`), `loaded` once it came (then `items` says what there is, empty included).
   */
  load: ListLoad;
  error: string | undefined;
  setError: Dispatch<SetStateAction<string | undefined>>;
  /** Runs one of the screen's actions, its failure shown on the error line (useErrorLine). */
  run(action: () => Promise<void>): Promise<void>;
}

/** The state of a list's first page: what `ListState` shows in place of the items that have not come. */
export type ListLoad =
  | { state: 'loading' | 'loaded' }
  | {
      state: 'failed';
      /** Why, as a sentence (`errorText`): the server out of reach, most often. */
      reason: string;
      /** Asks again now rather than at the next attempt. */
      retry(): void;
    };

/**
 * A list screen's items: the page that GET `path` answers, asked again every 2 s until it arrives (and again for a new
 * client), with the screen's error line next to it. Until it arrives, `load` tells loading from failing: an empty
 * list means "nothing yet" only once the server said so.
 */
export function useListPage<T>(client: RealtimeClient, path: string): ListPage<T> {
  const [items, setItems] = useState<T[]>([]);
  const { error, setError, run } = useErrorLine();
  const fetchPage = useCallback(() => api<Page<T>>(client, 'GET', path), [client, path]);
  const loaded = useCallback((page: Page<T>) => setItems(page.items), []);
  const load = useLoad(fetchPage, loaded);
  return { client, items, setItems, load, error, setError, run };
}

/**
 * What `request` answers, handed to `loaded` once it comes: asked again every 2 s until then (`loadUntilDone`), at once
 * when the browser is back online or on `retry`, and anew when `request` changes (keep `request` and `loaded` the same
 * functions between renders: useCallback). Answers where it stands, for `ListState`. Every list screen loads this
 * way: the conversations, the kiosks' admin, and `useListPage`'s.
 */
export function useLoad<T>(request: () => Promise<T>, loaded: (value: T) => void): ListLoad {
  const [load, setLoad] = useState<ListLoad>({ state: 'loading' });
  // Bumped by `retry`: the loading starts over, at once.
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let cancelled = false;
    let done = false;
    const retry = () => {
      setLoad({ state: 'loading' });
      setAttempt((n) => n + 1);
    };
    const stop = loadUntilDone(
      () =>
        request().catch((err: unknown) => {
          if (!cancelled) setLoad({ state: 'failed', reason: errorText(err), retry });
          throw err;
        }),
      (value) => {
        done = true;
        loaded(value);
        setLoad({ state: 'loaded' });
      },
    );
    // Back online before the answer came: ask at once rather than at the next attempt.
    const online = () => {
      if (!done) retry();
    };
    window.addEventListener('online', online);
    return () => {
      cancelled = true;
      window.removeEventListener('online', online);
      stop();
    };
  }, [request, loaded, attempt]);
  return load;
}

/**
 * The submit handler of a list's create form: POSTs to `path` what `body` reads from the form, adds the created item
 * to the list (first, unless `add` knows better) and empties the form. A failure goes to the list's error line and
 * leaves the form as it was, so that what was typed can be sent again.
 */
export function createFromForm<T>(
  list: ListPage<T>,
  path: string,
  body: (form: FormData) => unknown,
  add: (items: T[], created: T) => T[] = (items, created) => [created, ...items],
): (event: FormEvent<HTMLFormElement>) => Promise<void> {
  return async (event) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    try {
      const created = await api<T>(list.client, 'POST', path, body(form));
      list.setItems((items) => add(items, created));
      list.setError(undefined);
      formElement.reset();
    } catch (err) {
      list.setError(errorText(err));
    }
  };
}
