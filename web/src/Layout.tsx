// The signed-in frame: navigation (the chat's link counts unread messages), connection state, notifications bell,
// language, sign out. The tab's title counts what is unread, notifications and messages together, as "(3) …", and
// desktop notifications, once turned on, tell of what arrives while the tab is not in front.
import type { InboxEntry } from '@realtime-hub/client';
import { useConnectionState, useStreamValue } from '@realtime-hub/client/react';
import { useEffect } from 'react';
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

/** The tab's title: the app's name, after the count of what is unread when there is any. */
function useTitleCount(count: number): void {
  useEffect(() => {
    document.title = count > 0 ? `(${count}) ${APP_TITLE}` : APP_TITLE;
  }, [count]);
  useEffect(
    () => () => {
      document.title = APP_TITLE;
    },
    [],
  );
}

export function Layout() {
  const { user, client, unread, signOut } = useSignedIn();
  const { t } = useTranslation();
  const unreadNotifications = useStreamValue(unread.notifications, 0);
  const inbox = useStreamValue(unread.inbox, NO_CONVERSATIONS);
  let unreadMessages = 0;
  for (const entry of inbox.values()) unreadMessages += entry.unreadCount;
  useTitleCount(unreadNotifications + unreadMessages);
  const desktop = useDesktopNotifications(client, unread, user.id);
  const sound = useSoundAlerts(unread, user.id);
  const admin = user.role === 'admin';
  const { pathname } = useLocation();
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
      <main id="main">
        <ScreenSlot path={pathname}>
          <Outlet />
        </ScreenSlot>
      </main>
    </>
  );
}
