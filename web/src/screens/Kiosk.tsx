// The public computer's screen (/kiosk): set up once by an admin pasting the workstation token (kept in this
// browser's storage, never in a URL); then code entry, a large countdown, warning banners, the end screen, and an
// offline banner that clears itself. Each visitor starts on a clean code screen in the kiosk's language. Nothing else
// of the app is reachable from here. While online it sends a heartbeat every 10 s. The countdown fails closed: at its
// end with no word of the session's end from the server, it asks, and shows the end screen unless told of time left (a
// public computer is not left open because an event was lost or the network is down); "I have finished" shows the end
// at once and tells the server once it can (useFinish).
import {
  AckFailure,
  channels,
  createClient,
  type KioskSessionPayload,
  type RealtimeClient,
} from '@realtime-hub/client';
import { useChannel, useConnectionState } from '@realtime-hub/client/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { focusWhenShown } from '../focus-rescue';
import { useOnce } from '../once';

const TOKEN_KEY = 'realtime-hub.kiosk.token';
const SESSION_KEY = 'realtime-hub.kiosk.session';
const END_SCREEN_MS = 15_000;
/** How long the countdown waits at zero for `session_terminated` before asking the server. */
const END_GRACE_MS = 2000;
/** How long it waits for that answer before ending the session on this screen anyway. */
const ASK_TIMEOUT_MS = 4000;
/**
 * While online, the kiosk says it is there this often: a third of the server's default KIOSK_OFFLINE_SECONDS, so the
 * server never has to look for the socket of a live kiosk across instances (which it cannot do through a cut).
 */
const HEARTBEAT_MS = 10_000;
/**
 * A warning is taken down when the server says the time left is above what the warning said by more than this (time
 * was added): the server's count of an event sent a moment before the warning must not take it down.
 */
const WARNING_SLACK_SECONDS = 5;
/** The session a visitor finished that the server has not yet been told of (useFinish). */
const ENDING_KEY = 'realtime-hub.kiosk.ending';
/** Answers to `end_session` that leave nothing to end: the session is over, gone, or not this workstation's. */
const NOTHING_TO_END = new Set(['INVALID_TRANSITION', 'NOT_FOUND', 'FORBIDDEN']);
/** How soon `end_session` is sent again after an answer that did not say (a timeout, a refusal for now). */
const END_RETRY_MS = 2000;
/**
 * The kiosk's own language, the one each visitor starts in (kioskLanguage). The switch keeps a visitor's choice in the
 * app's storage, where the next visitor, and the kiosk itself once restarted, found it.
 */
const LANGUAGE_KEY = 'realtime-hub.kiosk.language';
/**
 * How long the code screen keeps what a visitor left on it (a code, its refusal, their language) with nothing typed or
 * chosen: a visitor whose code was refused (their own, typed again once their session had ended) walked away, and the
 * next one found it there.
 */
const CODE_IDLE_MS = 60_000;

/** The kiosk's language: the one it was set up in, else the one it first started in (kept from then on). */
function kioskLanguage(current: string): string {
  const kept = localStorage.getItem(LANGUAGE_KEY);
  if (kept) return kept;
  localStorage.setItem(LANGUAGE_KEY, current);
  return current;
}

export function Kiosk() {
  const { t, i18n } = useTranslation();
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY) ?? undefined);
  const [language, setLanguage] = useState(() => kioskLanguage(i18n.resolvedLanguage ?? 'en'));
  const client = useMemo(
    () =>
      token
        ? createClient({
            url: window.location.origin,
            getToken: () => token,
            reconnectDelayMs: 300,
            reconnectDelayMaxMs: 3000,
          })
        : undefined,
    [token],
  );
  useEffect(() => () => client?.close(), [client]);

  return (
    <main id="main" className="kiosk">
      <div className="kiosk-lang">
        <LanguageSwitch />
      </div>
      {client ? (
        <KioskRunning
          client={client}
          language={language}
          onForget={() => {
            localStorage.removeItem(TOKEN_KEY);
            localStorage.removeItem(SESSION_KEY);
            setToken(undefined);
          }}
        />
      ) : (
        <KioskSetup
          onSave={(value) => {
            localStorage.setItem(TOKEN_KEY, value);
            setToken(value);
            // The language chosen while setting it up is the kiosk's.
            const chosen = i18n.resolvedLanguage ?? 'en';
            localStorage.setItem(LANGUAGE_KEY, chosen);
            setLanguage(chosen);
          }}
          title={t('kiosk.setupTitle')}
        />
      )}
    </main>
  );
}

function KioskSetup({ onSave, title }: { onSave(token: string): void; title: string }) {
  const { t } = useTranslation();
  return (
    <form
      className="kiosk-card"
      onSubmit={(event) => {
        event.preventDefault();
        const value = String(new FormData(event.currentTarget).get('token') ?? '').trim();
        if (value) onSave(value);
      }}
    >
      <h1>{title}</h1>
      <p>{t('kiosk.setupHelp')}</p>
      <label>
        {t('kiosk.token')}
        <textarea name="token" rows={4} required autoComplete="off" />
      </label>
      <button type="submit">{t('kiosk.save')}</button>
    </form>
  );
}

type Phase =
  | { kind: 'code' }
  | { kind: 'session'; session: KioskSessionPayload }
  | { kind: 'ended'; message: string; reason: string };

/**
 * The session in progress is kept in this browser's storage with when it was kept, and comes back after a reload or a
 * reboot with the time that passed since taken off (on this computer's clock): it came back with the whole of its time,
 * and with the server out of reach the next person saw the previous one's name and a countdown from the start. Time
 * added since it was kept is not in it: the countdown then runs out early and asks the server, which has it.
 */
function keepSession(session: KioskSessionPayload): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify({ session, keptAt: Date.now() }));
}

function keptSession(): KioskSessionPayload | undefined {
  try {
    const kept = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as
      { session: KioskSessionPayload; keptAt: number } | KioskSessionPayload | null;
    if (!kept) return undefined;
    // Kept by a version before keptAt: as it is (the channel's snapshot sets its time once connected).
    if (!('keptAt' in kept)) return kept;
    const passed = Math.max(0, Math.floor((Date.now() - kept.keptAt) / 1000));
    return { ...kept.session, remainingSeconds: Math.max(0, kept.session.remainingSeconds - passed) };
  } catch {
    return undefined;
  }
}

function formatClock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * Ends on the server the session a visitor finished, once the server can be told: the screen shows the end at once,
 * and the session to end is kept in this browser's storage and sent on every connection until answered (pressed
 * while offline, it ran on at the server, and the workstation refused the next visitor's code as busy).
 */
function useFinish(client: RealtimeClient, online: boolean): (sessionId: string) => void {
  const [ending, setEnding] = useState(() => localStorage.getItem(ENDING_KEY) ?? undefined);
  useEffect(() => {
    if (!ending || !online) return undefined;
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (localStorage.getItem(ENDING_KEY) === ending) localStorage.removeItem(ENDING_KEY);
      setEnding((now) => (now === ending ? undefined : now));
    };
    const send = (): void => {
      client.request('end_session', { sessionId: ending }).then(done, (err: unknown) => {
        if (err instanceof AckFailure && NOTHING_TO_END.has(err.code)) done();
        else if (current) timer = setTimeout(send, END_RETRY_MS);
      });
    };
    send();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, online, ending]);
  return useCallback((sessionId: string) => {
    localStorage.setItem(ENDING_KEY, sessionId);
    setEnding(sessionId);
  }, []);
}

function KioskRunning({
  client,
  language,
  onForget,
}: {
  client: RealtimeClient;
  /** The kiosk's language, each visitor's start. */
  language: string;
  onForget(): void;
}) {
  const { t, i18n } = useTranslation();
  const state = useConnectionState(client);
  const [phase, setPhase] = useState<Phase>(() => {
    const session = keptSession();
    return session ? { kind: 'session', session } : { kind: 'code' };
  });
  // Each visitor's code screen is a new one (its key): an empty field with the focus, no refusal, the kiosk's language.
  const [visit, setVisit] = useState(0);
  const nextVisitor = useCallback(() => {
    void i18n.changeLanguage(language);
    setVisit((n) => n + 1);
    setPhase({ kind: 'code' });
  }, [i18n, language]);
  useEffect(() => {
    if (state !== 'online') return undefined;
    const beat = () => void client.request('heartbeat', {}).catch(() => undefined);
    const timer = setInterval(beat, HEARTBEAT_MS);
    return () => clearInterval(timer);
  }, [client, state]);
  const endSession = useCallback((reason: string, message: string) => setPhase({ kind: 'ended', reason, message }), []);
  const finish = useFinish(client, state === 'online');

  useEffect(() => {
    if (phase.kind === 'session') keepSession(phase.session);
    else localStorage.removeItem(SESSION_KEY);
    if (phase.kind !== 'ended') return undefined;
    const timer = setTimeout(nextVisitor, END_SCREEN_MS);
    return () => clearTimeout(timer);
  }, [phase, nextVisitor]);

  if (state === 'unauthorized') {
    return (
      <div className="kiosk-card" role="alert">
        <h1>{t('kiosk.rejected')}</h1>
        <button type="button" onClick={onForget}>
          {t('kiosk.setupAgain')}
        </button>
      </div>
    );
  }

  const offline = state === 'reconnecting' || state === 'offline' || state === 'polling';
  return (
    <>
      {offline && (
        <div className="banner offline" role="alert">
          {t('kiosk.offline')}
        </div>
      )}
      {phase.kind === 'code' && (
        <CodeEntry
          key={visit}
          client={client}
          language={language}
          onSession={(session) => setPhase({ kind: 'session', session })}
          onLeft={nextVisitor}
        />
      )}
      {phase.kind === 'session' && (
        <Countdown client={client} initial={phase.session} onEnd={endSession} onFinish={finish} />
      )}
      {phase.kind === 'ended' && (
        <div className="kiosk-card ended">
          {/* Focused when shown: a screen reader says the session ended (the countdown's button, focused before, is
              gone, and the focus would fall back to the page). */}
          <h1 tabIndex={-1} ref={focusWhenShown}>
            {t('kiosk.endedTitle')}
          </h1>
          <p>{t(`kiosk.reason.${phase.reason}`, { defaultValue: phase.message })}</p>
          <p>{t('kiosk.thanks')}</p>
          <button type="button" onClick={nextVisitor}>
            {t('kiosk.newSession')}
          </button>
        </div>
      )}
    </>
  );
}

function CodeEntry({
  client,
  language,
  onSession,
  onLeft,
}: {
  client: RealtimeClient;
  /** The kiosk's language: another one is the visitor's, left on the screen. */
  language: string;
  onSession(session: KioskSessionPayload): void;
  /** What a visitor left here stayed CODE_IDLE_MS untouched: they walked away. */
  onLeft(): void;
}) {
  const { t, i18n } = useTranslation();
  const [code, setCode] = useState('');
  // The refusal's code, worded when shown: in the language the visitor switches to after it.
  const [error, setError] = useState<string>();
  // How long the workstation is refused codes (RATE_LIMITED's retryAfterSeconds): its message goes then. It stayed, and
  // the next visitor, minutes later, was told to wait a minute for nothing.
  const [refusedForMs, setRefusedForMs] = useState<number>();
  const { busy, submit } = useOnce();
  useEffect(() => {
    if (refusedForMs === undefined) return undefined;
    const timer = setTimeout(() => {
      setError((shown) => (shown === 'RATE_LIMITED' ? undefined : shown));
      setRefusedForMs(undefined);
    }, refusedForMs);
    return () => clearTimeout(timer);
  }, [refusedForMs]);
  const left = code !== '' || error !== undefined || i18n.resolvedLanguage !== language;
  useEffect(() => {
    if (!left || busy) return undefined;
    const timer = setTimeout(onLeft, CODE_IDLE_MS);
    return () => clearTimeout(timer);
    // Each key typed, refusal or language chosen starts the wait again.
  }, [left, busy, code, error, i18n.resolvedLanguage, onLeft]);

  const onSubmit = submit(async () => {
    setError(undefined);
    setRefusedForMs(undefined);
    try {
      const { session } = await client.request('validate_code', { code: code.trim().toUpperCase() });
      const started =
        session.status === 'pending'
          ? (await client.request('start_session', { sessionId: session.id })).session
          : session;
      onSession(started);
    } catch (err) {
      setError(err instanceof AckFailure ? err.code : 'INTERNAL');
      if (err instanceof AckFailure && err.code === 'RATE_LIMITED') {
        const seconds = (err.error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
        setRefusedForMs((typeof seconds === 'number' && seconds > 0 ? Math.min(seconds, 60) : 60) * 1000);
      }
    }
  });

  return (
    <form className="kiosk-card" onSubmit={onSubmit}>
      <h1>{t('kiosk.welcome')}</h1>
      <label>
        {t('kiosk.code')}
        <input
          // The screen is for this field: it has the focus whenever the code screen shows (at first, and after each
          // session), so the code is typed at once, not after a click or a Tab past the language.
          ref={focusWhenShown}
          name="code"
          className="code-input"
          value={code}
          onChange={(event) => setCode(event.target.value)}
          required
          minLength={6}
          maxLength={6}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          aria-describedby={error ? 'code-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
      </label>
      {error && (
        <p id="code-error" role="alert" className="error">
          {t(`kiosk.codeError.${error}`, { defaultValue: t('kiosk.codeError.other') })}
        </p>
      )}
      <button type="submit" aria-disabled={busy}>
        {t('kiosk.start')}
      </button>
    </form>
  );
}

function Countdown({
  client,
  initial,
  onEnd,
  onFinish,
}: {
  client: RealtimeClient;
  initial: KioskSessionPayload;
  onEnd(reason: string, message: string): void;
  /** The visitor is done: the session is to be ended on the server (useFinish). */
  onFinish(sessionId: string): void;
}) {
  const { t } = useTranslation();
  // The moment the session ends, on this machine's clock. The server sends whole seconds rounded up (r means
  // between r - 1 and r seconds left), so each one narrows the estimate into that interval.
  const [endsAt, setEndsAt] = useState(() => Date.now() + initial.remainingSeconds * 1000);
  const [now, setNow] = useState(() => Date.now());
  // The seconds left that the last warning gave; taken down once time is added (an extension) past it.
  const [warning, setWarning] = useState<number>();
  const narrow = useCallback((remainingSeconds: number) => {
    const at = Date.now();
    setNow(at);
    setEndsAt((current) =>
      Math.min(Math.max(current, at + (remainingSeconds - 1) * 1000), at + remainingSeconds * 1000),
    );
    setWarning((shown) =>
      shown !== undefined && remainingSeconds > shown + WARNING_SLACK_SECONDS ? undefined : shown,
    );
  }, []);
  const sessionId = initial.id;

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  useChannel(client, channels.kioskSession(sessionId), {
    snapshot: (session) => {
      if (session.status === 'ended') onEnd(session.endReason ?? 'expired', '');
      else narrow(session.remainingSeconds);
    },
    time_update: (update) => {
      if (update.sessionId !== sessionId) return;
      narrow(update.remainingSeconds);
    },
    session_warning: (event) => {
      if (event.sessionId === sessionId) setWarning(event.remainingSeconds);
    },
    session_terminated: (event) => {
      if (event.sessionId === sessionId) onEnd(event.reason, event.message);
    },
    error: () => onEnd('expired', ''),
  });

  const remaining = Math.max(0, Math.ceil((endsAt - now) / 1000));
  const runOut = remaining === 0;
  useEffect(() => {
    if (!runOut) return undefined;
    let current = true;
    let answerTimer: ReturnType<typeof setTimeout> | undefined;
    const graceTimer = setTimeout(() => {
      const timedOut = new Promise<never>((_, reject) => {
        answerTimer = setTimeout(() => reject(new Error('No answer')), ASK_TIMEOUT_MS);
      });
      Promise.race([client.request('get_time', { sessionId }), timedOut]).then(
        (time) => {
          if (!current) return;
          if (time.status === 'ended' || time.remainingSeconds <= 0) onEnd('expired', '');
          else narrow(time.remainingSeconds);
        },
        () => {
          if (!current) return;
          // Ended on this screen unheard: the server is told too once it can be (useFinish). It may have time left
          // that never reached here (an extension while cut off), and ran the session on: the workstation refused the
          // next visitor's code as busy until it ran out.
          onFinish(sessionId);
          onEnd('expired', '');
        },
      );
    }, END_GRACE_MS);
    return () => {
      current = false;
      clearTimeout(graceTimer);
      clearTimeout(answerTimer);
    };
    // Once per run-out: an answer of time left starts the countdown again, and its run-out asks again.
  }, [runOut, client, sessionId, onEnd, onFinish, narrow]);
  const warningText =
    warning === undefined
      ? undefined
      : warning >= 60
        ? t('kiosk.warningMinutes', { count: Math.round(warning / 60) })
        : t('kiosk.warningSeconds', { count: warning });
  return (
    <div className="kiosk-card countdown">
      {warningText && (
        <div className="banner warning" role="alert">
          {warningText}
        </div>
      )}
      {/* Focused when shown: the code form, focused before, is gone, and the focus fell to the language switch. */}
      <h1 tabIndex={-1} ref={focusWhenShown}>
        {initial.holderName ? t('kiosk.hello', { name: initial.holderName }) : t('kiosk.timeLeft')}
      </h1>
      <div className="clock" role="timer" aria-label={t('kiosk.timeLeft')}>
        {formatClock(remaining)}
      </div>
      <button
        type="button"
        onClick={() => {
          onFinish(sessionId);
          onEnd('closed', '');
        }}
      >
        {t('kiosk.finish')}
      </button>
    </div>
  );
}
