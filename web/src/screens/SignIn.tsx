import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation } from 'react-router';
import { authenticate, refusedFields } from '../api';
import { RestError } from '@realtime-hub/client';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { sessionEndedLately, useSession } from '../session';
import { ErrorLine } from '../components/ErrorLine';
import { useOnce } from '../once';

export function SignIn({ mode }: { mode: 'signin' | 'signup' }) {
  const { t } = useTranslation();
  const { user, signIn } = useSession();
  const location = useLocation();
  // What the last submission failed with, and on which page: /signin and /signup are the same component, which React
  // keeps from one to the other (the fields as typed), but the sign-in's "Wrong email or password" is no answer to a
  // sign-up not yet sent.
  const [failure, setFailure] = useState<{ mode: typeof mode; error: unknown }>();
  const error = failure?.mode === mode ? failure.error : undefined;
  const { busy, submit } = useOnce();
  const [ended] = useState(sessionEndedLately);
  const form = useRef<HTMLFormElement>(null);
  const errorId = useId();
  // The fields the server refused (a sign-up's taken email among them): marked invalid, described by the error line,
  // the first one given the focus, as a create form's are.
  const refused = refusedOf(error, mode);
  const firstRefused = refused[0];
  useEffect(() => {
    if (!firstRefused) return;
    const field = form.current?.elements.namedItem(firstRefused);
    if (field instanceof HTMLElement) field.focus();
  }, [error, firstRefused]);
  // Come with the focus on the page itself (signed out, the button gone with the page; the app just opened): it goes to
  // the form's first field, where a keyboard or screen-reader user goes on from, rather than stay on the page's body.
  useEffect(() => {
    if (document.activeElement === null || document.activeElement === document.body)
      form.current?.querySelector<HTMLElement>('input')?.focus();
  }, []);
  const invalid = (name: string) =>
    refused.includes(name) ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};
  // Back to the page the user was on, when it was theirs (`fromUser`): another account starts on the chat list.
  const back = location.state as { from?: string; fromUser?: string } | null;
  if (user) {
    const mine = back?.from && (back.fromUser === undefined || back.fromUser === user.id);
    return <Navigate to={mine ? back.from! : '/chat'} replace />;
  }

  const onSubmit = submit(async (formElement) => {
    const form = new FormData(formElement);
    setFailure(undefined);
    try {
      const answer = await authenticate(mode === 'signin' ? 'login' : 'register', {
        email: String(form.get('email')),
        password: String(form.get('password')),
        ...(mode === 'signup' ? { displayName: String(form.get('displayName')) } : {}),
      });
      signIn({ token: answer.accessToken, user: answer.user });
    } catch (err) {
      setFailure({ mode, error: err });
    }
  });

  const title = mode === 'signin' ? t('auth.signInTitle') : t('auth.signUpTitle');
  return (
    <main id="main" className="auth">
      <div className="auth-card">
        <LanguageSwitch />
        <h1>{title}</h1>
        {ended && <p role="status">{t('auth.ended')}</p>}
        <form ref={form} onSubmit={onSubmit}>
          {mode === 'signup' && (
            <label>
              {t('auth.displayName')}
              <input name="displayName" required maxLength={80} autoComplete="name" {...invalid('displayName')} />
            </label>
          )}
          <label>
            {t('auth.email')}
            <input name="email" type="email" required autoComplete="email" {...invalid('email')} />
          </label>
          <label>
            {t('auth.password')}
            <input
              name="password"
              type="password"
              required
              minLength={mode === 'signup' ? 8 : undefined}
              autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
              {...invalid('password')}
            />
          </label>
          <ErrorLine error={error} id={errorId} />
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

/** The fields an error of the form refused: a validation failure's, and the email of a sign-up whose email is taken. */
function refusedOf(error: unknown, mode: 'signin' | 'signup'): string[] {
  if (mode === 'signup' && error instanceof RestError && error.code === 'CONFLICT') return ['email'];
  return refusedFields(error);
}
