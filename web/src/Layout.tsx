// The signed-in frame: navigation (the chat's link counts unread messages), connection state, notifications bell,
// language, sign out. The tab's title names the page and counts what is unread, notifications and messages together,
// as "(3) Chat · realtime-hub"; a move to another page is said to a screen reader; and
// desktop notifications, once turned on, tell of what arrives while the tab is not in front.
import type { InboxEntry } from '@realtime-hub/client';
import { useConnectionState, useStreamValue } from '@realtime-hub/client/react';
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ConnectionStatus } from './components/ConnectionStatus';
import { LanguageSwitch } from './components/LanguageSwitch';
import { NotificationsBell } from './components/NotificationsBell';
import { useDesktopNotifications } from './desktop-notifications';
import { useSoundAlerts } from './sound';
import { ScreenSlot } from './screen-slot';
import { markSessionEnded, useSignedIn } from './session';

const APP_TITLE = 'realtime-hub';
const NO_CONVERSATIONS = new Map<string, InboxEntry>();

/** Each page's name (its link's), by the start of its path. */
const PAGES: ReadonlyArray<[prefix: string, key: string]> = [
  ['/chat', 'nav.chat'],
  ['/suggestions', 'nav.suggestions'],
  ['/documents', 'nav.documents'],
  ['/jobs', 'nav.jobs'],
  ['/admin/dashboard', 'nav.dashboard'],
  ['/admin/kiosk', 'nav.kioskAdmin'],
  ['/admin/people', 'nav.people'],
];

function pageKeyOf(pathname: string): string | undefined {
  return PAGES.find(([prefix]) => pathname === prefix || pathname.startsWith(`${prefix}/`))?.[1];
}

/**
 * The tab's title: the page's name and the app's, after the count of what is unread when there is any ("(3) Jobs ·
 * realtime-hub"), so that the tabs and the history tell the pages apart.
 */
function useTitle(count: number, page: string | undefined): void {
  useEffect(() => {
    const title = page ? `${page} · ${APP_TITLE}` : APP_TITLE;
    document.title = count > 0 ? `(${count}) ${title}` : title;
  }, [count, page]);
  useEffect(
    () => () => {
      document.title = APP_TITLE;
    },
    [],
  );
}

/**
 * Says the page's name once the user moves to another page (not at the first): the content changed without a page
 * load, which a screen reader would otherwise not mention, and the focus stays on the link or button that led there.
 */
function PageAnnouncer({ pageKey }: { pageKey: string | undefined }) {
  const { t } = useTranslation();
  const [last, setLast] = useState(pageKey);
  const [said, setSaid] = useState<string>();
  if (pageKey !== last) {
    setLast(pageKey);
    setSaid(pageKey);
  }
  return (
    <p className="visually-hidden" aria-live="polite" data-page-announcer="">
      {said ? t(said) : ''}
    </p>
  );
}

export function Layout() {
  const { user, client, unread, signOut } = useSignedIn();
  const { t } = useTranslation();
  const unreadNotifications = useStreamValue(unread.notifications, 0);
  const inbox = useStreamValue(unread.inbox, NO_CONVERSATIONS);
  let unreadMessages = 0;
  for (const entry of inbox.values()) unreadMessages += entry.unreadCount;
  const { pathname } = useLocation();
  const pageKey = pageKeyOf(pathname);
  useTitle(unreadNotifications + unreadMessages, pageKey && t(pageKey));
  const desktop = useDesktopNotifications(client, unread, user.id);
  const sound = useSoundAlerts(unread, user.id);
  const admin = user.role === 'admin';
  // The server refused the token and a refresh did not help (expired session, revoked, disabled): sign in again.
  const state = useConnectionState(client);
  useEffect(() => {
    if (state !== 'unauthorized') return;
    // The sign-in page says why (a session ended by the server, not by the user).
    markSessionEnded();
    signOut();
  }, [state, signOut]);
  return (
    <>
      <a className="skip" href="#main">
        {t('skip')}
      </a>
      <header className="top">
        <span className="brand">realtime-hub</span>
        <nav aria-label={t('nav.label')}>
          <NavLink to="/chat">
            {t('nav.chat')}
            {unreadMessages > 0 && (
              <>
                <span className="badge" aria-hidden="true">
                  {unreadMessages}
                </span>
                <span className="visually-hidden">{t('nav.unreadMessages', { count: unreadMessages })}</span>
              </>
            )}
          </NavLink>
          <NavLink to="/suggestions">{t('nav.suggestions')}</NavLink>
          <NavLink to="/documents">{t('nav.documents')}</NavLink>
          <NavLink to="/jobs">{t('nav.jobs')}</NavLink>
          {admin && <NavLink to="/admin/dashboard">{t('nav.dashboard')}</NavLink>}
          {admin && <NavLink to="/admin/kiosk">{t('nav.kioskAdmin')}</NavLink>}
          {admin && <NavLink to="/admin/people">{t('nav.people')}</NavLink>}
        </nav>
        <div className="tools">
          <ConnectionStatus client={client} />
          <NotificationsBell client={client} unread={unreadNotifications} desktop={desktop} sound={sound} />
          <LanguageSwitch />
          <span className="who">{user.displayName}</span>
          <button type="button" onClick={signOut}>
            {t('signOut')}
          </button>
        </div>
      </header>
      <PageAnnouncer pageKey={pageKey} />
      <main id="main">
        <ScreenSlot path={pathname}>
          <Outlet />
        </ScreenSlot>
      </main>
    </>
  );
}
