// The bell: a live unread badge (the session's unread count) and a dropdown of the latest notifications, newest
// first (20, and 20 more with each "Show more"), kept live by the SDK's gapless notifications stream, each worded in
// the reader's language and linked to where it leads (notices.ts); and the switches of desktop notifications and of
// the chime (sound.ts). A notification that arrives while the user is in the tab, the dropdown closed, also shows for a
// few seconds in a corner (a toast; a tab not in front tells of it on the desktop instead, if the user turned that on).
import type { NotificationPayload, RealtimeClient } from '@realtime-hub/client';
import { useStreamItems } from '@realtime-hub/client/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Link } from 'react-router';
import { allPages, api, errorText, type Page } from '../api';
import type { DesktopNotifications } from '../desktop-notifications';
import { useLoad, useNextPages } from '../list';
import { Announcer } from './Announcer';
import { ErrorLine, useErrorLine } from './ErrorLine';
import { ListState, MoreButton } from './ListState';
import type { SoundAlerts } from '../sound';
import { useDayChange } from '../clock';
import { dateTimeOf, shortWhenOf } from '../i18n';
import { isInFront } from '../in-front';
import { targetOf, wordingOf } from '../notices';

/** The latest notifications: the dropdown's first page. */
const LATEST = '/api/v1/notifications?limit=20';
/** The list read again to learn what another tab read: 100 a page, as far as it is shown. */
const READ_AGAIN = '/api/v1/notifications?limit=100';

/** How long a toast stays (see the timer below), and how many show at once (the newest). */
const TOAST_MS = 8000;
const TOASTS_AT_MOST = 3;

interface BellProps {
  client: RealtimeClient;
  unread: number;
  desktop: DesktopNotifications;
  sound: SoundAlerts;
}

export function NotificationsBell({ client, unread, desktop, sound }: BellProps) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  // The list's times say the hour today, "Yesterday" after midnight.
  useDayChange(open);
  const [loaded, setLoaded] = useState<NotificationPayload[]>([]);
  const [afterSeq, setAfterSeq] = useState<number>();
  const [readIds, setReadIds] = useState<Set<string>>(new Set());
  const panel = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  // The first page, asked until it comes (the dropdown says meanwhile that it is loading, or cannot load); the live
  // stream starts after its newest. Older pages on demand.
  const { error, run } = useErrorLine();
  const { more, restart } = useNextPages(client, LATEST, setLoaded, run);
  const load = useLoad(
    useCallback(() => api<Page<NotificationPayload>>(client, 'GET', LATEST), [client]),
    useCallback(
      (page: Page<NotificationPayload>) => {
        setLoaded(page.items);
        setAfterSeq(page.items[0]?.seq ?? 0);
        restart(page.nextCursor);
      },
      [restart],
    ),
  );
  const liveStream = useMemo(
    () => (afterSeq === undefined ? undefined : client.notifications({ afterSeq })),
    [client, afterSeq],
  );
  // Every one that comes while the tab is open (up to 1,000): with the newest 50 only, those between them and the first
  // page were out of the list for good, "Show more" going on from the first page's end.
  const live = useStreamItems(liveStream, 1000);
  const items = useMemo(() => {
    const seen = new Set<string>();
    return [...live]
      .reverse()
      .concat(loaded)
      .filter((n) => (seen.has(n.id) ? false : (seen.add(n.id), true)));
  }, [live, loaded]);

  // The list follows the unread count, which another tab (or device) changes too: at 0 everything listed is read;
  // lower but not 0, the list read again as far as it is shown says which were read (its first page alone missed those
  // past it, read in another tab after "Show more"). There is no event per notification read. So is it when the count
  // is below what the list shows unread, however it got there: a read elsewhere and a new one meanwhile (during a cut,
  // or between two polls) leave the count where it was, and the one read stayed unread here.
  const [knownUnread, setKnownUnread] = useState(unread);
  const [readCheck, setReadCheck] = useState<{ listed: number }>();
  const listedUnread = items.filter((n) => n.readAt === null && !readIds.has(n.id)).length;
  const [checkedFor, setCheckedFor] = useState('');
  if (unread !== knownUnread) {
    setKnownUnread(unread);
    if (unread === 0) setReadIds((ids) => new Set([...ids, ...items.map((n) => n.id)]));
    else if (unread < knownUnread) setReadCheck({ listed: items.length });
  } else if (unread > 0 && unread < listedUnread && checkedFor !== `${unread}/${listedUnread}`) {
    // Once for each count and list: a read that answers what it did changes neither, and is not asked again.
    setCheckedFor(`${unread}/${listedUnread}`);
    setReadCheck({ listed: items.length });
  }
  useEffect(() => {
    if (!readCheck) return;
    allPages<NotificationPayload>(client, READ_AGAIN, readCheck.listed)
      .then((page) => {
        const read = page.items.filter((n) => n.readAt !== null).map((n) => n.id);
        setReadIds((ids) => (read.every((id) => ids.has(id)) ? ids : new Set([...ids, ...read])));
      })
      .catch(() => undefined);
  }, [client, readCheck]);

  // Toasts: each notification that arrives live is considered once; while the dropdown is open it is read there.
  const [toasts, setToasts] = useState<NotificationPayload[]>([]);
  // The newest that came while the dropdown is open: its status line says it (a new row alone said nothing to a screen
  // reader, no toast showing then), once, and not again when the dropdown opens next.
  const [arrived, setArrived] = useState<NotificationPayload>();
  const [arrivedWhileOpen, setArrivedWhileOpen] = useState(open);
  if (arrivedWhileOpen !== open) {
    setArrivedWhileOpen(open);
    setArrived(undefined);
  }
  const considered = useRef(new Set<string>());
  useEffect(() => {
    const fresh = live.filter((n) => !considered.current.has(n.id));
    for (const n of fresh) considered.current.add(n.id);
    const shown = fresh.filter((n) => n.readAt === null).reverse();
    if (shown.length === 0 || !isInFront()) return;
    if (open) setArrived(shown[0]);
    else setToasts((list) => [...shown, ...list].slice(0, TOASTS_AT_MOST));
  }, [live, open]);
  // Notifications opened from a toast or the dropdown (which their link closes) whose read failed: what it failed with
  // (undefined while it is tried again). Each shows as a toast that says why, stays until read or dismissed, and offers
  // the read again: the toast had gone and the dropdown, closed, held the error, so nothing was said.
  const [failedReads, setFailedReads] = useState<ReadonlyMap<string, unknown>>(new Map());
  const setFailed = (id: string, error: unknown, failed: boolean) =>
    setFailedReads((map) => {
      const next = new Map(map);
      if (failed) next.set(id, error);
      else next.delete(id);
      return next;
    });
  const dismiss = (id: string) => {
    setToasts((list) => list.filter((n) => n.id !== id));
    setFailed(id, undefined, false);
  };
  // One read meanwhile (in another tab, on another device) goes, and gives its place back: hidden but kept, it took one
  // of the three places (a toast still unread went when the next one came) and held up the others' going.
  const [prunedFor, setPrunedFor] = useState(readIds);
  if (prunedFor !== readIds) {
    setPrunedFor(readIds);
    setToasts((list) => (list.some((n) => readIds.has(n.id)) ? list.filter((n) => !readIds.has(n.id)) : list));
  }
  // The oldest goes TOAST_MS after the last change, then the next one TOAST_MS later, and so on; not one whose read
  // failed.
  useEffect(() => {
    const passing = toasts.filter((n) => !failedReads.has(n.id));
    if (passing.length === 0) return undefined;
    const oldest = passing[passing.length - 1].id;
    const timer = setTimeout(() => setToasts((list) => list.filter((n) => n.id !== oldest)), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toasts, failedReads]);

  // A mark that fails (the server out of reach) says so on the dropdown's error line: it was left unhandled, and the
  // notification simply stayed unread with nothing said.
  const markRead = (id: string, pressed?: HTMLButtonElement) =>
    run(async () => {
      await client.readNotification(id);
      setReadIds((ids) => new Set(ids).add(id));
      // Its "Mark read" button goes with the mark: the focus, which went to the top of the page (a keyboard user had
      // to find their way back into the dropdown), moves to the notification's row instead.
      const focus = document.activeElement;
      if (pressed && (focus === pressed || focus === document.body || focus === null)) pressed.closest('li')?.focus();
    });
  // A notification opened (its link followed from a toast or the dropdown, which then closes) is read; a read that
  // fails puts it back as a toast that says why and offers the read again.
  const openRead = (n: NotificationPayload) => {
    setFailed(n.id, undefined, failedReads.has(n.id));
    client.readNotification(n.id).then(
      () => {
        setReadIds((ids) => new Set(ids).add(n.id));
        setFailed(n.id, undefined, false);
      },
      (err: unknown) => {
        setFailed(n.id, err, true);
        setToasts((list) => [n, ...list.filter((m) => m.id !== n.id)].slice(0, TOASTS_AT_MOST));
      },
    );
  };
  const markAll = () =>
    run(async () => {
      await client.readNotification();
      setReadIds(new Set(items.map((n) => n.id)));
    });

  // Open, it closes on Escape wherever the focus is (from inside the dropdown, the focus goes back to the bell),
  // and on a click outside it.
  useEffect(() => {
    if (!open) return undefined;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      if (panel.current?.contains(document.activeElement)) button.current?.focus();
      setOpen(false);
    };
    const onPointer = (event: PointerEvent) => {
      if (!panel.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  return (
    <div className="bell" ref={panel}>
      <section className="toasts" aria-label={t('notifications.toasts')} aria-live="polite">
        {/* Not one read meanwhile, in another tab or on another device. */}
        {toasts
          .filter((n) => !readIds.has(n.id))
          .map((n) => (
            <Toast
              key={n.id}
              notification={n}
              readError={failedReads.get(n.id)}
              onRetry={failedReads.has(n.id) ? () => openRead(n) : undefined}
              onDismiss={() => dismiss(n.id)}
              onOpen={() => {
                // One whose read failed stays until read: opened again, it is read again.
                if (!failedReads.has(n.id)) setToasts((list) => list.filter((m) => m.id !== n.id));
                openRead(n);
              }}
            />
          ))}
      </section>
      {/* Outside the dropdown's region, whose rows show the same words. */}
      <Announcer id={arrived?.id} text={arrived && spokenOf(arrived, t)} />
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls="notifications-panel"
        aria-label={t('notifications.button', { count: unread })}
        onClick={() => {
          setOpen((value) => !value);
          setToasts([]);
        }}
      >
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="currentColor">
          <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
        </svg>
        {unread > 0 && (
          <span className="badge" aria-hidden="true">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div id="notifications-panel" className="dropdown" role="region" aria-label={t('notifications.title')}>
          <div className="dropdown-head">
            <h2>{t('notifications.title')}</h2>
            {/* Dimmed, not disabled, at 0 unread: a disabled button loses the focus, and its own press takes the count
                to 0. */}
            <button type="button" onClick={() => void (unread > 0 && markAll())} aria-disabled={unread === 0}>
              {t('notifications.markAll')}
            </button>
          </div>
          {desktop.supported && (
            <label className="desktop-switch">
              <input
                type="checkbox"
                checked={desktop.enabled}
                onChange={(event) => void desktop.setEnabled(event.target.checked)}
              />{' '}
              {t('desktop.switch')}
            </label>
          )}
          {desktop.blocked && <p className="muted">{t('desktop.blocked')}</p>}
          {sound.supported && (
            <label className="desktop-switch">
              <input
                type="checkbox"
                checked={sound.enabled}
                onChange={(event) => sound.setEnabled(event.target.checked)}
              />{' '}
              {t('notifications.sound')}
            </label>
          )}
          <ul>
            {items.map((n) => {
              const read = n.readAt !== null || readIds.has(n.id);
              return (
                <li key={n.id} className={read ? 'read' : 'unread'} tabIndex={-1}>
                  <Notice
                    notification={n}
                    onOpen={() => {
                      setOpen(false);
                      if (!read) openRead(n);
                    }}
                  />
                  <br />
                  <small>
                    <time dateTime={n.createdAt} title={dateTimeOf(n.createdAt)}>
                      {shortWhenOf(n.createdAt)}
                    </time>
                  </small>{' '}
                  {!read && (
                    <button type="button" onClick={(event) => void markRead(n.id, event.currentTarget)}>
                      {t('notifications.markRead')}
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
          <MoreButton more={more} />
          <ErrorLine error={error} />
          <ListState load={load} empty={items.length === 0} none={t('notifications.empty')} />
        </div>
      )}
    </div>
  );
}

/** A notification as one line to be said: its title and body, worded as shown. */
function spokenOf(notification: NotificationPayload, t: TFunction): string {
  const { title, body } = wordingOf(notification, t);
  return body ? `${title}. ${body}` : title;
}

interface NoticeProps {
  notification: NotificationPayload;
  /** The user follows its link. */
  onOpen(): void;
}

/** A notification's title, linked where it leads if it leads somewhere, and its body, in the reader's language. */
function Notice({ notification, onOpen }: NoticeProps) {
  const { t } = useTranslation();
  const { title, body } = wordingOf(notification, t);
  const target = targetOf(notification);
  return (
    <>
      {target ? (
        <Link to={target} onClick={onOpen}>
          <strong>{title}</strong>
        </Link>
      ) : (
        <strong>{title}</strong>
      )}
      {body && <span> {body}</span>}
    </>
  );
}

interface ToastProps extends NoticeProps {
  onDismiss(): void;
  /** What its read failed with, if it did (and is not being tried again). */
  readError?: unknown;
  /** Tries the failed read again: set while it has failed. */
  onRetry?(): void;
}

/**
 * One new notification, with a button that dismisses it (opening it reads it); one whose read failed says why, in the
 * reader's language, and offers "Mark read".
 */
function Toast({ notification, onDismiss, onOpen, readError, onRetry }: ToastProps) {
  const { t } = useTranslation();
  return (
    <div className="toast">
      <p>
        <Notice notification={notification} onOpen={onOpen} />
      </p>
      {readError !== undefined && (
        <p role="alert" className="error">
          {t('notifications.notRead', { reason: errorText(readError) })}
        </p>
      )}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('notifications.markRead')}
        </button>
      )}
      <button type="button" aria-label={t('notifications.dismiss')} onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
