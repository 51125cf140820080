// What the list screens (documents, jobs, suggestions) share: their first page of items, loaded until it arrives
// (and whether it is loading or failing meanwhile, for `ListState`: `useLoad`, which the chat, the kiosks' admin and
// the people search use too), the pages after it on demand (`useNextPages` and `MoreButton`, which the chat and the bell use too), an error
// line with the way to run an action against it, a create form whose created item joins the list (one submission at a
// time), and a reload as far as the list is shown (the suggestions' channel `catchUp`). Each screen keeps its own
// routes and fields.
import type { RealtimeClient } from '@realtime-hub/client';
import {
  type Dispatch,
  type FormEvent,
  type SetStateAction,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react';
import { allPages, api, loadUntilDone, type Page, refusedFields, withCursor } from './api';
import { useErrorLine } from './components/ErrorLine';
import { useOnce } from './once';

export interface ListPage<T> {
  client: RealtimeClient;
  items: T[];
  /** Appends the next page to `items`, when the last page said there is one (`MoreButton` shows it). */
  more: (() => Promise<void>) | undefined;
  /**
   * The last item of the pages read, as it was read (live events may have changed its copy in `items` since): the next
   * page starts after its place. Undefined before the first page and once the last page came.
   */
  edge: T | undefined;
  setItems: Dispatch<SetStateAction<T[]>>;
  /**
   * Where the first page stands: `loading` until its answer, `failed` while it cannot be had (asked again every 2 s,
   * or at once by `retry`), `loaded` once it came (then `items` says what there is, empty included).
   */
  load: ListLoad;
  error: unknown;
  setError: Dispatch<SetStateAction<unknown>>;
  /** Runs one of the screen's actions, its failure shown on the error line (useErrorLine). */
  run(action: () => Promise<void>): Promise<void>;
  /**
   * Reads the list again from its first page, as far as it is shown (at least one page), in place of what it holds
   * (merged item by item, see `useListPage`), and the pages after it from there: what a screen whose channel has no
   * snapshot does to catch up (its channel's `catchUp` handler). A failure is left to the next catch-up.
   */
  reload(): void;
}

/** The state of a list's first page: what `ListState` shows in place of the items that have not come. */
export type ListLoad =
  | { state: 'loading' | 'loaded' }
  | {
      state: 'failed';
      /** Why, as thrown (worded by `errorText` when shown): the server out of reach, most often. */
      reason: unknown;
      /** Asks again now rather than at the next attempt. */
      retry(): void;
    };

/**
 * A list screen's items: the page that GET `path` answers, asked again every 2 s until it arrives (and again for a new
 * client), with the screen's error line next to it, and the pages after it on demand (`more`). Until the first page
 * arrives, `load` tells loading from failing: an empty list means "nothing yet" only once the server said so.
 *
 * A page read in place of the list (the first, or `reload`'s) may be older than a live event the list applied while
 * it was on its way: `merge(fresh, held)` says which of an item's two copies to keep (by default the page's).
 */
export function useListPage<T extends { id: string }>(
  client: RealtimeClient,
  path: string,
  merge: (fresh: T, held: T) => T = (fresh) => fresh,
): ListPage<T> {
  const [items, setItems] = useState<T[]>([]);
  const { error, setError, run } = useErrorLine();
  const fetchPage = useCallback(() => api<Page<T>>(client, 'GET', path), [client, path]);
  const pages = useNextPages(client, path, setItems, run);
  const { restart } = pages;
  const mergeRef = useRef(merge);
  useEffect(() => {
    mergeRef.current = merge;
  });
  const loaded = useCallback(
    (page: Page<T>) => {
      setItems((held) => {
        const heldById = new Map(held.map((item) => [item.id, item]));
        return page.items.map((fresh) => {
          const copy = heldById.get(fresh.id);
          return copy ? mergeRef.current(fresh, copy) : fresh;
        });
      });
      restart(page.nextCursor, page.items.at(-1));
    },
    [restart],
  );
  const load = useLoad(fetchPage, loaded);
  // How far the list is shown, and which list it is: a reload reads as far, and is dropped if the list changed.
  const shown = useRef({ path, count: 0 });
  useEffect(() => {
    shown.current = { path, count: items.length };
  });
  const reload = useCallback(() => {
    allPages<T>(client, path, Math.max(shown.current.count, 1)).then(
      (page) => {
        if (shown.current.path === path) loaded(page);
      },
      () => undefined,
    );
  }, [client, path, loaded]);
  return { client, items, setItems, more: pages.more, edge: pages.edge, load, error, setError, run, reload };
}

/**
 * The pages of GET `path` after the first: `restart` takes the cursor the first page gave and its last item (and
 * forgets a page asked for before it), `more` appends the next page to the items, leaving out any the list holds
 * already (an item can move between pages while they are read: a conversation with a new message, a suggestion with a
 * new vote). Undefined `more` when there is no next page; `edge` is the item the next page starts after, as read.
 */
export function useNextPages<T extends { id: string }>(
  client: RealtimeClient,
  path: string,
  setItems: Dispatch<SetStateAction<T[]>>,
  run: (action: () => Promise<void>) => Promise<void>,
): { more: (() => Promise<void>) | undefined; edge: T | undefined; restart(cursor: string | null, edge?: T): void } {
  // The next page's cursor and the item it points after, and the list they belong to (another `path`, a list sorted
  // otherwise, has its own).
  const [next, setNext] = useState<{ path: string; cursor: string | null; edge?: T }>({ path, cursor: null });
  // Which first page the pages follow: a page asked for before the list was loaded again is dropped.
  const generation = useRef(0);
  const restart = useCallback(
    (cursor: string | null, edge?: T) => {
      generation.current += 1;
      setNext({ path, cursor, edge });
    },
    [path],
  );
  const cursor = next.path === path ? next.cursor : null;
  const more =
    cursor === null
      ? undefined
      : () =>
          run(async () => {
            const asked = generation.current;
            const page = await api<Page<T>>(client, 'GET', withCursor(path, cursor));
            if (asked !== generation.current) return;
            setItems((list) => appendNew(list, page.items));
            setNext({ path, cursor: page.nextCursor, edge: page.items.at(-1) });
          });
  return { more, edge: cursor === null ? undefined : next.edge, restart };
}

/**
 * What changed in a list while reads of it were on their way: `note` each item changed (a live event, an action's
 * answer); `begin` a read, whose `over(items)` lays what was noted since it began over its answer, older than them
 * (`merge` puts one item in a list), and whose `end()` forgets it.
 */
export function changesDuringReads<T extends { id: string }>(merge: (list: T[], item: T) => T[]) {
  const reads = new Set<Map<string, T>>();
  return {
    note(item: T): void {
      for (const since of reads) since.set(item.id, item);
    },
    begin(): { over(items: T[]): T[]; end(): void } {
      const since = new Map<string, T>();
      reads.add(since);
      return { over: (items) => [...since.values()].reduce(merge, items), end: () => void reads.delete(since) };
    },
  };
}

/** `list` followed by the items of `page` it does not hold (by id). */
export function appendNew<T extends { id: string }>(list: readonly T[], page: readonly T[]): T[] {
  const held = new Set(list.map((item) => item.id));
  return [...list, ...page.filter((item) => !held.has(item.id))];
}

/**
 * What `request` answers, handed to `loaded` once it comes: asked again every 2 s until then (`loadUntilDone`), at once
 * when the browser is back online or on `retry`, and anew when `request` changes (keep `request` and `loaded` the same
 * functions between renders: useCallback). Answers where it stands, for `ListState`. Every list screen loads this
 * way: the conversations, the kiosks' admin, the people search, and `useListPage`'s.
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
          if (!cancelled) setLoad({ state: 'failed', reason: err, retry });
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
 * A list's create form: its submit handler POSTs to `path` what `body` reads from the form, adds the created item to
 * the list (first, unless `add` knows better) and empties the form; one at a time (`busy` disables its button, see
 * once.ts). A failure goes to the list's error line (give it `errorId`) and leaves the form as it was, so that what
 * was typed can be sent again; the fields the server refused are marked invalid, described by that line, and the first
 * takes the focus. `created` is the last item created, for the screen's status line (a screen reader says it: the
 * form, emptied, says nothing).
 */
export function useCreateForm<T>(
  list: ListPage<T>,
  path: string,
  body: (form: FormData) => unknown,
  add: (items: T[], created: T) => T[] = (items, created) => [created, ...items],
): { busy: boolean; onSubmit: (event: FormEvent<HTMLFormElement>) => void; errorId: string; created: T | undefined } {
  const { busy, submit } = useOnce();
  const errorId = useId();
  const [created, setCreated] = useState<T>();
  const onSubmit = submit(async (formElement) => {
    try {
      const item = await api<T>(list.client, 'POST', path, body(new FormData(formElement)));
      list.setItems((items) => add(items, item));
      list.setError(undefined);
      setCreated(item);
      formElement.reset();
      markRefused(formElement, [], errorId);
    } catch (err) {
      list.setError(err);
      setCreated(undefined);
      markRefused(formElement, refusedFields(err), errorId);
    }
  });
  return { busy, onSubmit, errorId, created };
}

/**
 * Marks the form's fields named in `names` invalid and described by the error line `errorId`, the others not, and puts
 * the focus on the first one marked. Set on the elements themselves: React renders these fields uncontrolled.
 */
function markRefused(form: HTMLFormElement, names: string[], errorId: string): void {
  let first: HTMLElement | undefined;
  for (const field of Array.from(form.elements)) {
    if (!(field instanceof HTMLElement)) continue;
    const name = field.getAttribute('name');
    if (name !== null && names.includes(name)) {
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', errorId);
      first ??= field;
    } else if (field.getAttribute('aria-describedby') === errorId) {
      field.removeAttribute('aria-invalid');
      field.removeAttribute('aria-describedby');
    }
  }
  first?.focus();
}
