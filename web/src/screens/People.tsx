// People (admins): accounts found by the start of a name or an email; disable one (its sessions end at once, on every
// instance) or enable it again, make it an admin or a user; and a notification sent to the people ticked, which
// reaches their bells at once (and their desktops, where they turned that on). An admin's own row offers no change:
// the server refuses an admin demoting or disabling themselves. A new account joins the list by itself.
import { channels, type StatsPayload } from '@realtime-hub/client';
import { useChannel } from '@realtime-hub/client/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { allPages, api, type Page, type User } from '../api';
import { ErrorLine, useErrorLine } from '../components/ErrorLine';
import { ListState, MoreButton } from '../components/ListState';
import { dateTimeOf } from '../i18n';
import { appendNew, changesDuringReads, useLoad } from '../list';
import { useOnce } from '../once';
import { useSignedIn } from '../session';

interface Account extends User {
  disabled: boolean;
}

const PAGE_SIZE = 50;
/** The most a page may hold (the API's limit): a reload reads pages of this size until it has as many as were shown. */
const MAX_PAGE_SIZE = 100;
/** How long typing pauses before the search is sent. */
const SEARCH_DELAY_MS = 250;

function searchPath(query: string, cursor?: string, limit = PAGE_SIZE): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (query) params.set('query', query);
  if (cursor) params.set('cursor', cursor);
  return `/api/v1/users?${params.toString()}`;
}

export function People() {
  const { client, user: me } = useSignedIn();
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  /** What the box says once typing pauses: the search read. */
  const [search, setSearch] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query]);
  /** The rows shown, and the search they answer. */
  const [shown, setShown] = useState<{ search: string; accounts: Account[] }>();
  const setAccounts = (update: (accounts: Account[]) => Account[]) =>
    setShown((list) => list && { ...list, accounts: update(list.accounts) });
  /** The next page of the search shown: its cursor, and the search it belongs to. */
  const [next, setNext] = useState<{ search: string; cursor: string } | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const { error, run } = useErrorLine();
  /** How many the last notification reached (worded when shown, in the language of the moment). */
  const [sent, setSent] = useState<number>();

  // A new account, wherever it was made, reloads the list: the dashboard's Stats count the accounts (its snapshot
  // again after a reconnection, so one made during a cut counts too). Another admin's change to an account shows at
  // the next search.
  const [reloads, setReloads] = useState(0);
  const accountsCounted = useRef<number>(undefined);
  const countAccounts = useCallback((stats: StatsPayload) => {
    if (accountsCounted.current !== undefined && stats.users.total !== accountsCounted.current) {
      setReloads((n) => n + 1);
    }
    accountsCounted.current = stats.users.total;
  }, []);
  useChannel(client, channels.dashboard(), { snapshot: countAccounts, stats_update: countAccounts });
  // Read by a reload of the same search, which keeps as many rows as were shown (more pages included).
  const shownNow = useRef(shown);
  useEffect(() => {
    shownNow.current = shown;
  }, [shown]);

  // The accounts this admin changed while a read of the list was on its way: kept over its answer, read before them.
  const changes = useMemo(
    () => changesDuringReads<Account>((list, changed) => list.map((a) => (a.id === changed.id ? changed : a))),
    [],
  );
  /** How many reads of the list are on their way (an answer replaces the rows, as many as were shown when it began). */
  const reading = useRef(0);
  // Loaded as every list is (useLoad: asked again every 2 s, at once when back online or on Retry), anew for each
  // search and each reload.
  const read = useCallback(async () => {
    const sameSearch = shownNow.current?.search === search;
    const rows = sameSearch ? Math.max(PAGE_SIZE, shownNow.current?.accounts.length ?? 0) : PAGE_SIZE;
    const during = changes.begin();
    reading.current += 1;
    try {
      // Page after page past the API's 100: a single page cut a list shown further back to 100 rows.
      const page = await allPages<Account>(client, searchPath(search, undefined, Math.min(MAX_PAGE_SIZE, rows)), rows);
      return { search, accounts: during.over(page.items), nextCursor: page.nextCursor };
    } finally {
      reading.current -= 1;
      during.end();
    }
    // A reload is a new read of the same search: `reloads` makes it another request for useLoad.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, search, reloads, changes]);
  const loaded = useCallback((answer: { search: string; accounts: Account[]; nextCursor: string | null }) => {
    setShown({ search: answer.search, accounts: answer.accounts });
    setNext(answer.nextCursor === null ? null : { search: answer.search, cursor: answer.nextCursor });
  }, []);
  const load = useLoad(read, loaded);
  // While the search cannot be had, the rows of another search are not its answer.
  const accounts = load.state === 'failed' && shown?.search !== search ? undefined : shown?.accounts;

  // The next page of the search the list shows (the box may already hold the next search, not yet read), dropped if
  // another search has been shown meanwhile.
  const more = (asked: { search: string; cursor: string }) =>
    run(async () => {
      const page = await api<Page<Account>>(client, 'GET', searchPath(asked.search, asked.cursor));
      if (shownNow.current?.search !== asked.search) return;
      setAccounts((list) => appendNew(list, page.items));
      setNext(page.nextCursor === null ? null : { search: asked.search, cursor: page.nextCursor });
      // A read of the list begun before this page came would answer the rows shown then, and take this page away:
      // read again, as far as is shown now.
      if (reading.current > 0) setReloads((n) => n + 1);
    });

  // Each account's last change on its way: the next one waits for its answer, so that the answers come in the order the
  // changes were made and the last one shown is the account as it is (two changes at once, a role and a disable, each
  // answered with the whole account, showed the older answer when it came last: the role taken back on screen).
  const changing = useRef(new Map<string, Promise<unknown>>());
  const change = (account: Account, patch: { role?: User['role']; disabled?: boolean }) =>
    run(async () => {
      const before = changing.current.get(account.id) ?? Promise.resolve();
      const request = before
        .catch(() => undefined)
        .then(() => api<Account>(client, 'PATCH', `/api/v1/users/${account.id}`, patch));
      changing.current.set(account.id, request);
      try {
        const updated = await request;
        changes.note(updated);
        setAccounts((list) => list.map((a) => (a.id === updated.id ? updated : a)));
      } finally {
        if (changing.current.get(account.id) === request) changing.current.delete(account.id);
      }
    });

  const toggle = (id: string, on: boolean) =>
    setSelected((ids) => {
      const nextIds = new Set(ids);
      if (on) nextIds.add(id);
      else nextIds.delete(id);
      return nextIds;
    });

  const sending = useOnce();
  const send = sending.submit((form) => {
    const fields = new FormData(form);
    const body = String(fields.get('body') ?? '').trim();
    setSent(undefined);
    return run(async () => {
      const { items } = await api<{ items: unknown[] }>(client, 'POST', '/api/v1/notifications', {
        userIds: [...selected],
        type: 'announcement',
        title: String(fields.get('title')).trim(),
        ...(body ? { body } : {}),
      });
      setSent(items.length);
      setSelected(new Set());
      form.reset();
    });
  });

  return (
    <div className="page">
      <h1>{t('people.title')}</h1>
      <ErrorLine error={error} />
      <label className="stack">
        {t('people.search')}
        <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} maxLength={80} />
      </label>
      <ListState load={load} empty={!accounts?.length} />
      {accounts?.length === 0 && <p>{t('people.none')}</p>}
      {accounts && accounts.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">{t('people.selection')}</span>
              </th>
              <th scope="col">{t('people.name')}</th>
              <th scope="col">{t('people.email')}</th>
              <th scope="col">{t('people.role')}</th>
              <th scope="col">{t('people.status')}</th>
              <th scope="col">{t('people.since')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('people.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((account) => {
              const name = account.displayName;
              const self = account.id === me.id;
              return (
                <tr key={account.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={t('people.select', { name })}
                      checked={selected.has(account.id)}
                      onChange={(event) => toggle(account.id, event.target.checked)}
                    />
                  </td>
                  <td>
                    {name} {self && <span className="muted">{t('people.you')}</span>}
                  </td>
                  <td>{account.email}</td>
                  <td>{t(`people.roles.${account.role}`)}</td>
                  <td>{account.disabled ? t('people.disabled') : t('people.active')}</td>
                  <td>{dateTimeOf(account.createdAt)}</td>
                  <td>
                    {!self && (
                      <>
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => void change(account, { disabled: !account.disabled })}
                          aria-label={t(account.disabled ? 'people.enableLabel' : 'people.disableLabel', { name })}
                        >
                          {t(account.disabled ? 'people.enable' : 'people.disable')}
                        </button>{' '}
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => void change(account, { role: account.role === 'admin' ? 'user' : 'admin' })}
                          aria-label={t(account.role === 'admin' ? 'people.makeUserLabel' : 'people.makeAdminLabel', {
                            name,
                          })}
                        >
                          {t(account.role === 'admin' ? 'people.makeUser' : 'people.makeAdmin')}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <MoreButton more={next && accounts ? () => more(next) : undefined} />
      <section aria-labelledby="notify">
        <h2 id="notify">{t('people.notify')}</h2>
        <form className="stack" onSubmit={send}>
          <label>
            {t('people.notifyTitle')}
            <input name="title" required maxLength={200} />
          </label>
          <label>
            {t('people.notifyBody')}
            <textarea name="body" rows={3} maxLength={2000} />
          </label>
          <button type="submit" disabled={selected.size === 0} aria-disabled={sending.busy}>
            {t('people.send', { count: selected.size })}
          </button>
        </form>
        {sent !== undefined && <p role="status">{t('people.sent', { count: sent })}</p>}
      </section>
    </div>
  );
}
