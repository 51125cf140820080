// Kiosk administration: workstations by status (live), new workstation (its token, to paste once on the kiosk), a new
// token for a workstation (the older ones stop working at once: a kiosk whose token leaked), sessions (live): create
// one and show its access code, extend, end.
import { channels, type KioskSessionPayload, type RealtimeClient, type WorkstationPayload } from '@realtime-hub/client';
import { useChannel } from '@realtime-hub/client/react';
import { type Dispatch, type SetStateAction, useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { allPages, api } from '../api';
import { useSignedIn } from '../session';
import { timeOf } from '../i18n';
import { ErrorLine, useErrorLine } from '../components/ErrorLine';
import { ListState } from '../components/ListState';
import { focusWhenShown } from '../focus-rescue';
import { changesDuringReads, useLoad } from '../list';
import { useOnce } from '../once';

const STATUSES = ['available', 'occupied', 'offline'] as const;

/** Adds a listed item unless a live update already brought it (the live one is newer). */
function upsertOlder<T extends { id: string }>(list: T[], item: T): T[] {
  return list.some((x) => x.id === item.id) ? list : [...list, item];
}

function upsert<T extends { id: string }>(list: T[], item: T): T[] {
  return list.some((x) => x.id === item.id) ? list.map((x) => (x.id === item.id ? item : x)) : [item, ...list];
}

/**
 * A list kept live: `update` applies an item that changed (a live event, an action's answer); `reread` replaces the
 * list with a read of it (a catch-up), over which go the items updated while the read was on its way, newer than it
 * (a session ended or created meanwhile was brought back, or dropped, by the read's older answer). A copy `older` than
 * the one shown is dropped, whenever it comes (an action's answer after a live event that followed it).
 */
function liveList<T extends { id: string }>(
  setList: Dispatch<SetStateAction<T[]>>,
  older: (incoming: T, current: T) => boolean = () => false,
) {
  const apply = (list: T[], item: T): T[] => {
    const current = list.find((x) => x.id === item.id);
    return current && older(item, current) ? list : upsert(list, item);
  };
  const changes = changesDuringReads(apply);
  return {
    update(item: T): void {
      changes.note(item);
      setList((list) => apply(list, item));
    },
    reread(read: () => Promise<T[]>): void {
      const during = changes.begin();
      read()
        .then((items) => setList(during.over(items)))
        .catch(() => undefined)
        .finally(during.end);
    },
  };
}

const SESSION_STAGES: Record<KioskSessionPayload['status'], number> = { pending: 0, active: 1, ended: 2 };

/**
 * Whether `incoming` is an older copy of the session than `current`: a session goes from pending to active to ended,
 * never back, and an extension only lengthens it (an extension answered after the kiosk started the session, or after
 * its end, showed it pending, or running, again).
 */
function olderSession(incoming: KioskSessionPayload, current: KioskSessionPayload): boolean {
  const stages = SESSION_STAGES[incoming.status] - SESSION_STAGES[current.status];
  return stages < 0 || (stages === 0 && incoming.durationSeconds < current.durationSeconds);
}

/** The workstations: every page, a town hall's few. */
const fetchWorkstations = (client: RealtimeClient) =>
  allPages<WorkstationPayload>(client, '/api/v1/kiosk/workstations?limit=100').then((page) => page.items);

/** The sessions not over yet (active and pending): every page of each. */
async function fetchOpenSessions(client: RealtimeClient): Promise<KioskSessionPayload[]> {
  const sessions = (status: 'active' | 'pending') =>
    allPages<KioskSessionPayload>(client, `/api/v1/kiosk/sessions?status=${status}&limit=100`);
  const [active, pending] = await Promise.all([sessions('active'), sessions('pending')]);
  return [...active.items, ...pending.items];
}

function fetchLists(client: RealtimeClient) {
  return Promise.all([fetchWorkstations(client), fetchOpenSessions(client)]);
}
type Lists = Awaited<ReturnType<typeof fetchLists>>;

export function KioskAdmin() {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const [workstations, setWorkstations] = useState<WorkstationPayload[]>([]);
  const [sessions, setSessions] = useState<KioskSessionPayload[]>([]);
  const [newToken, setNewToken] = useState<{ name: string; token: string }>();
  const [code, setCode] = useState<KioskSessionPayload>();
  const { error, run } = useErrorLine();
  const liveWorkstations = useMemo(() => liveList(setWorkstations), []);
  const liveSessions = useMemo(() => liveList(setSessions, olderSession), []);

  // Both lists in one go, asked until they come (merged with what live updates brought meanwhile); `load` says whether
  // they are still loading or cannot come (ListState), once for the page.
  const load = useLoad(
    useCallback(() => fetchLists(client), [client]),
    useCallback(([workstationList, sessionList]: Lists) => {
      setWorkstations((list) => workstationList.reduce(upsertOlder, list));
      setSessions((list) => sessionList.reduce(upsertOlder, list));
    }, []),
  );
  const loaded = load.state === 'loaded';
  // What changed while no event could come (a reconnect, HTTP polling: a session that ended, a kiosk gone offline):
  // each list read again in place of what it shows.
  useChannel(client, channels.kioskWorkstations(), {
    catchUp: () => liveWorkstations.reread(() => fetchWorkstations(client)),
    'workstation:update': ({ workstation }) => liveWorkstations.update(workstation),
  });
  useChannel(client, channels.kioskSessions(), {
    catchUp: () => liveSessions.reread(() => fetchOpenSessions(client)),
    'session:update': ({ session }) => liveSessions.update(session),
  });

  const creatingWorkstation = useOnce();
  const createWorkstation = creatingWorkstation.submit((formElement) => {
    const name = String(new FormData(formElement).get('name'));
    return run(async () => {
      const answer = await api<{ workstation: WorkstationPayload; token: string }>(
        client,
        'POST',
        '/api/v1/kiosk/workstations',
        { name },
      );
      liveWorkstations.update(answer.workstation);
      setNewToken({ name, token: answer.token });
      formElement.reset();
    });
  });

  const creatingSession = useOnce();
  const createSession = creatingSession.submit((formElement) => {
    const form = new FormData(formElement);
    const holderName = String(form.get('holderName') ?? '').trim();
    // The code shown is the answer to the last press: none while it is asked, nor if it is refused (the one before,
    // handed to the next visitor, would open the previous visitor's session).
    setCode(undefined);
    return run(async () => {
      const session = await api<KioskSessionPayload>(client, 'POST', '/api/v1/kiosk/sessions', {
        durationSeconds: Math.round(Number(form.get('minutes')) * 60),
        ...(holderName ? { holderName } : {}),
      });
      liveSessions.update(session);
      setCode(session);
    });
  });

  // The rows' actions, one at a time: a double click on "New token" showed whichever of two tokens answered last, the
  // older one perhaps, which the newer had already replaced; on "+5 min" it added ten.
  const acting = useOnce();
  const extend = (session: KioskSessionPayload) =>
    acting.run(() =>
      run(async () => {
        const extended = await api<KioskSessionPayload>(client, 'POST', `/api/v1/kiosk/sessions/${session.id}/extend`, {
          seconds: 300,
        });
        liveSessions.update(extended);
      }),
    );
  const end = (session: KioskSessionPayload) =>
    acting.run(() =>
      run(async () => {
        const ended = await api<KioskSessionPayload>(client, 'POST', `/api/v1/kiosk/sessions/${session.id}/terminate`);
        liveSessions.update(ended);
      }),
    );

  const rotate = (workstation: WorkstationPayload) =>
    acting.run(() =>
      run(async () => {
        const answer = await api<{ token: string }>(
          client,
          'POST',
          `/api/v1/kiosk/workstations/${workstation.id}/token`,
        );
        setNewToken({ name: workstation.name, token: answer.token });
      }),
    );

  const names = new Map(workstations.map((w) => [w.id, w.name]));
  const open = sessions.filter((s) => s.status !== 'ended');

  return (
    <div className="page">
      <h1>{t('kioskAdmin.title')}</h1>
      <ErrorLine error={error} />
      <div className="columns">
        <section aria-labelledby="new-session">
          <h2 id="new-session">{t('kioskAdmin.newSession')}</h2>
          <form className="stack" onSubmit={createSession}>
            <label>
              {t('kioskAdmin.minutes')}
              <input name="minutes" type="number" min={0.1} step="any" defaultValue={60} required />
            </label>
            <label>
              {t('kioskAdmin.holder')}
              <input name="holderName" maxLength={120} />
            </label>
            <button type="submit" aria-disabled={creatingSession.busy}>
              {t('kioskAdmin.createSession')}
            </button>
          </form>
          {code && (
            <div className="access-code" role="status">
              {t('labelled', { label: t('kioskAdmin.accessCode') })} <strong>{code.accessCode}</strong>
            </div>
          )}
        </section>
        <section aria-labelledby="new-workstation">
          <h2 id="new-workstation">{t('kioskAdmin.newWorkstation')}</h2>
          <form className="stack" onSubmit={createWorkstation}>
            <label>
              {t('kioskAdmin.workstationName')}
              <input name="name" required maxLength={120} />
            </label>
            <button type="submit" aria-disabled={creatingWorkstation.busy}>
              {t('kioskAdmin.createWorkstation')}
            </button>
          </form>
          {newToken && (
            // The focus goes to the token, selected, ready to copy: a screen reader says it (the form, emptied, says
            // nothing); one element per token, so that the next workstation's takes the focus too.
            <label className="stack" key={newToken.token}>
              {t('kioskAdmin.token', { name: newToken.name })}
              <textarea
                readOnly
                rows={4}
                value={newToken.token}
                ref={focusWhenShown}
                onFocus={(event) => event.currentTarget.select()}
              />
            </label>
          )}
        </section>
      </div>
      {/* Until the lists come: "Loading…", or why they cannot come (once for both), rather than empty lists. */}
      <ListState load={load} empty={!loaded} />
      <section aria-labelledby="workstations">
        <h2 id="workstations">{t('kioskAdmin.workstations')}</h2>
        <div className="columns three">
          {STATUSES.map((status) => (
            <section key={status} aria-labelledby={`ws-${status}`}>
              <h3 id={`ws-${status}`}>
                {t(`kioskAdmin.status.${status}`)}
                {loaded && ` (${workstations.filter((w) => w.status === status).length})`}
              </h3>
              <ul>
                {workstations
                  .filter((w) => w.status === status)
                  .map((w) => (
                    <li key={w.id}>
                      {w.name}{' '}
                      <button
                        type="button"
                        className="secondary"
                        aria-disabled={acting.busy}
                        onClick={() => void rotate(w)}
                        aria-label={t('kioskAdmin.rotateLabel', { name: w.name })}
                      >
                        {t('kioskAdmin.rotate')}
                      </button>
                    </li>
                  ))}
              </ul>
            </section>
          ))}
        </div>
      </section>
      <section aria-labelledby="sessions">
        <h2 id="sessions">{t('kioskAdmin.sessions')}</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('kioskAdmin.code')}</th>
              <th scope="col">{t('kioskAdmin.holder')}</th>
              <th scope="col">{t('kioskAdmin.workstation')}</th>
              <th scope="col">{t('kioskAdmin.sessionStatus')}</th>
              <th scope="col">{t('kioskAdmin.endsAt')}</th>
              <th scope="col">{t('kioskAdmin.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {open.map((s) => (
              <tr key={s.id}>
                <td>
                  <code>{s.accessCode}</code>
                </td>
                <td>{s.holderName ?? '—'}</td>
                <td>{s.workstationId ? (names.get(s.workstationId) ?? '—') : '—'}</td>
                <td>{t(`kioskAdmin.session.${s.status}`)}</td>
                {/* Not started: how long it will last (an extension lengthens it). */}
                <td>
                  {s.endsAt ? timeOf(s.endsAt) : t('kioskAdmin.lasts', { count: Math.round(s.durationSeconds / 60) })}
                </td>
                <td>
                  <button
                    type="button"
                    aria-disabled={acting.busy}
                    onClick={() => void extend(s)}
                    aria-label={t('kioskAdmin.extendLabel', { code: s.accessCode })}
                  >
                    {t('kioskAdmin.extend')}
                  </button>{' '}
                  <button
                    type="button"
                    aria-disabled={acting.busy}
                    onClick={() => void end(s)}
                    aria-label={t('kioskAdmin.endLabel', { code: s.accessCode })}
                  >
                    {t('kioskAdmin.end')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {loaded && open.length === 0 && <p>{t('kioskAdmin.noSessions')}</p>}
      </section>
    </div>
  );
}
