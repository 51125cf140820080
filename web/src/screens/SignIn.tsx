import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation } from 'react-router';
import { authenticate } from '../api';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { sessionEndedLately, useSession } from '../session';
import { ErrorLine } from '../components/ErrorLine';
import { useOnce } from '../once';

export function SignIn({ mode }: { mode: 'signin' | 'signup' }) {
  const { t } = useTranslation();
  const { user, signIn } = useSession();
  const location = useLocation();
  const [error, setError] = useState<unknown>();
  const { busy, submit } = useOnce();
  const [ended] = useState(sessionEndedLately);
  // Back to the page the user was on, when it was theirs (`fromUser`): another account starts on the chat list.
  const back = location.state as { from?: string; fromUser?: string } | null;
  if (user) {
    const mine = back?.from && (back.fromUser === undefined || back.fromUser === user.id);
    return <Navigate to={mine ? back.from! : '/chat'} replace />;
  }

  const onSubmit = submit(async (formElement) => {
    const form = new FormData(formElement);
    setError(undefined);
    try {
      const answer = await authenticate(mode === 'signin' ? 'login' : 'register', {
        email: String(form.get('email')),
        password: String(form.get('password')),
        ...(mode === 'signup' ? { displayName: String(form.get('displayName')) } : {}),
      });
      signIn({ token: answer.accessToken, user: answer.user });
    } catch (err) {
      setError(err);
    }
  });

  const title = mode === 'signin' ? t('auth.signInTitle') : t('auth.signUpTitle');
  return (
    <main id="main" className="auth">
      <div className="auth-card">
        <LanguageSwitch />
        <h1>{title}</h1>
        {ended && <p role="status">{t('auth.ended')}</p>}
        <form onSubmit={onSubmit}>
          {mode === 'signup' && (
            <label>
              {t('auth.displayName')}
              <input name="displayName" required maxLength={80} autoComplete="name" />
            </label>
          )}
          <label>
            {t('auth.email')}
            <input name="email" type="email" required autoComplete="email" />
          </label>
          <label>
            {t('auth.password')}
            <input
              name="password"
              type="password"
              required
              minLength={mode === 'signup' ? 8 : undefined}
              autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
            />
          </label>
          <ErrorLine error={error} />
          <button type="submit" aria-disabled={busy}>
            {title}
          </button>
        </form>
        <p>
          {mode === 'signin' ? (
            <Link to="/signup">{t('auth.toSignUp')}</Link>
          ) : (
            <Link to="/signin">{t('auth.toSignIn')}</Link>
          )}
        </p>
      </div>
    </main>
  );
}
