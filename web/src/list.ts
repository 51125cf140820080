// What the list screens (documents, jobs, suggestions) share: their first page of items, loaded until it arrives, an
// error line with the way to run an action against it, and a create form whose created item joins the list. Each screen keeps its own routes and fields.
import type { RealtimeClient } from '@realtime-hub/client';
import { type Dispatch, type FormEvent, type SetStateAction, useEffect, useState } from 'react';
import { api, errorText, loadUntilDone, type Page } from './api';
import { useErrorLine } from './components/ErrorLine';

export interface ListPage<T> {
  client: RealtimeClient;
  items: T[];
  setItems: Dispatch<SetStateAction<T[]>>;
  error: string | undefined;
  setError: Dispatch<SetStateAction<string | undefined>>;
  /** Runs one of the screen's actions, its failure shown on the error line (useErrorLine). */
  run(action: () => Promise<void>): Promise<void>;
}

/**
 * A list screen's items: the page that GET `path` answers, asked again every 2 s until it arrives (and again for a new
 * client), with the screen's error line next to it.
 */
export function useListPage<T>(client: RealtimeClient, path: string): ListPage<T> {
  const [items, setItems] = useState<T[]>([]);
  const { error, setError, run } = useErrorLine();
  useEffect(() => {
    return loadUntilDone(
      () => api<Page<T>>(client, 'GET', path),
      (page) => setItems(page.items),
    );
  }, [client, path]);
  return { client, items, setItems, error, setError, run };
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
