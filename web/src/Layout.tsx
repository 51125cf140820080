// The signed-in frame: navigation, connection state, notifications bell, language, sign out.
import { useConnectionState } from '@realtime-hub/client/react';
import { useEffect } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ConnectionStatus } from './components/ConnectionStatus';
import { LanguageSwitch } from './components/LanguageSwitch';
import { NotificationsBell } from './components/NotificationsBell';
import { ScreenSlot } from './screen-slot';
import { useSignedIn } from './session';
import { SESSION_ENDED_KEY } from './screens/SignIn';

export function Layout() {
  const { user, client, signOut } = useSignedIn();
  const { t } = useTranslation();
  const admin = user.role === 'admin';
  const { pathname } = useLocation();
  // The server refused the token and a refresh did not help (expired session, revoked, disabled): sign in again.
  const state = useConnectionState(client);
  useEffect(() => {
    if (state !== 'unauthorized') return;
    // The sign-in page says why (a session ended by the server, not by the user).
    sessionStorage.setItem(SESSION_ENDED_KEY, '1');
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
          <NavLink to="/chat">{t('nav.chat')}</NavLink>
          <NavLink to="/suggestions">{t('nav.suggestions')}</NavLink>
          <NavLink to="/documents">{t('nav.documents')}</NavLink>
          <NavLink to="/jobs">{t('nav.jobs')}</NavLink>
          {admin && <NavLink to="/admin/dashboard">{t('nav.dashboard')}</NavLink>}
          {admin && <NavLink to="/admin/kiosk">{t('nav.kioskAdmin')}</NavLink>}
        </nav>
        <div className="tools">
          <ConnectionStatus client={client} />
          <NotificationsBell client={client} />
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
