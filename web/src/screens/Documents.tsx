// Documents: shared resources with live updates (the SDK's resource stream), and an editor that saves with
// If-Match. On VERSION_CONFLICT it shows the version saved meanwhile and lets the user merge both (when they changed
// different lines), reload theirs, or keep mine (overwriting theirs). The owner (or an admin) sets who may read it
// and deletes it.
import { newerVersion, type ResourcePayload, RestError } from '@realtime-hub/client';
import { useStreamError, useStreamValue } from '@realtime-hub/client/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api } from '../api';
import { useCreateForm, useListPage } from '../list';
import { useSignedIn } from '../session';
import { agoOf, dateTimeOf, timeOf } from '../i18n';
import { useTick } from '../clock';
import { focusWhenShown } from '../focus-rescue';
import { ListState, MoreButton } from '../components/ListState';
import { Announcer } from '../components/Announcer';
import { ErrorLine } from '../components/ErrorLine';
import { mergeText } from '../merge-text';
import { type Draft, draftOf, keepDraft } from '../drafts';
import { useOnce } from '../once';

const textOf = (resource: ResourcePayload | null | undefined): string =>
  typeof resource?.data?.text === 'string' ? resource.data.text : '';

/**
 * Of the document shown and one that comes (its stream's next value, a save's answer), the later version (the SDK's
 * `newerVersion`): a save's answer shown before its event must not be taken back by an older event. A deletion
 * (`null`) always wins, and stays: a save's (or a setting's) answer that comes after the deletion's event does not
 * bring the document back, editable, its next save answered "This no longer exists".
 */
function laterOf(shown: ResourcePayload | null | undefined, next: ResourcePayload | null): ResourcePayload | null {
  return next === null || shown === null ? null : newerVersion(shown ?? undefined, next);
}

/** What the document holds besides its text (written through the API): shown as it is, and kept by a save. */
function otherFieldsOf(resource: ResourcePayload): Record<string, unknown> | undefined {
  const { text: _text, ...others } = resource.data ?? {};
  return Object.keys(others).length > 0 ? others : undefined;
}

export function Documents() {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  // "saved 5 minutes ago" moves on.
  useTick(60_000);
  const listPage = useListPage<ResourcePayload>(client, '/api/v1/resources?limit=100');
  const { items, load, error, setItems } = listPage;
  // A document deleted, or made private by its owner, leaves the list: a list whose every card went says "No document
  // yet." rather than show an empty page.
  const gone = useCallback((id: string) => setItems((list) => list.filter((r) => r.id !== id)), [setItems]);
  const create = useCreateForm(listPage, '/api/v1/resources', (form) => ({
    name: String(form.get('name')),
    visibility: String(form.get('visibility')),
    data: { text: '' },
  }));

  return (
    <div className="page">
      <h1>{t('documents.title')}</h1>
      <form className="inline-form" onSubmit={create.onSubmit}>
        <label>
          {t('documents.name')}
          <input name="name" required maxLength={200} />
        </label>
        <label>
          {t('documents.visibility')}
          <select name="visibility" defaultValue="public">
            <option value="public">{t('documents.public')}</option>
            <option value="private">{t('documents.private')}</option>
          </select>
        </label>
        <button type="submit" aria-disabled={create.busy}>
          {t('documents.create')}
        </button>
      </form>
      <ErrorLine error={error} id={create.errorId} />
      <Announcer
        id={create.created?.id}
        text={create.created && t('documents.created', { name: create.created.name })}
      />
      <ul className="cards">
        {items.map((r) => (
          <DocumentItem key={r.id} resource={r} onGone={gone} />
        ))}
      </ul>
      <MoreButton more={listPage.more} />
      <ListState load={load} empty={items.length === 0} none={t('documents.none')} />
    </div>
  );
}

function DocumentItem({ resource, onGone }: { resource: ResourcePayload; onGone(id: string): void }) {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const stream = useMemo(() => client.resource(resource.id), [client, resource.id]);
  const current = useStreamValue(stream, resource);
  // Deleted (null), or no longer readable (the stream ended refused: the owner made it private): the card goes.
  const refused = useStreamError(stream);
  const isGone = current === null || refused !== undefined;
  useEffect(() => {
    if (isGone) onGone(resource.id);
  }, [isGone, onGone, resource.id]);
  if (isGone) return null;
  return (
    <li className="card">
      <h2>
        <Link to={`/documents/${resource.id}`}>{current.name}</Link>
      </h2>
      <p>
        {t('documents.version', { version: current.version })} · {t(`documents.${current.visibility}`)} ·{' '}
        <time dateTime={current.updatedAt} title={dateTimeOf(current.updatedAt)}>
          {t('documents.savedAgo', { when: agoOf(current.updatedAt) })}
        </time>
      </p>
      <p className="excerpt">{textOf(current).slice(0, 140)}</p>
    </li>
  );
}

/** The owner's (or an admin's) settings of a document: who may read it, and deleting it (asked twice). */
function DocumentSettings(props: {
  resource: ResourcePayload;
  /** A setting's answer, or `null` once deleted: shown at once, not when its event comes (seconds later, polling). */
  onSaved(saved: ResourcePayload | null): void;
  onError(error: unknown): void;
}) {
  const { resource, onSaved, onError } = props;
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  const cancelled = useRef(false);
  const focusIfCancelled = useCallback((button: HTMLButtonElement | null) => {
    if (button && cancelled.current) button.focus();
    cancelled.current = false;
  }, []);
  const run = (work: () => Promise<unknown>) => work().catch((err: unknown) => onError(err));
  return (
    <div className="inline-form">
      <label>
        {t('documents.visibility')}
        <select
          value={resource.visibility}
          onChange={(event) =>
            void run(async () =>
              onSaved(
                await api<ResourcePayload>(client, 'PATCH', `/api/v1/resources/${resource.id}`, {
                  visibility: event.target.value,
                }),
              ),
            )
          }
        >
          <option value="public">{t('documents.public')}</option>
          <option value="private">{t('documents.private')}</option>
        </select>
      </label>
      {confirming ? (
        <p role="alert">
          {t('documents.deleteAsk')}{' '}
          {/* The question takes the focus from "Delete", which it replaces; "Cancel" gives it back. */}
          <button
            type="button"
            ref={focusWhenShown}
            onClick={() =>
              void run(async () => {
                await api(client, 'DELETE', `/api/v1/resources/${resource.id}`);
                onSaved(null);
              })
            }
          >
            {t('documents.deleteConfirm')}
          </button>{' '}
          <button
            type="button"
            className="secondary"
            onClick={() => {
              cancelled.current = true;
              setConfirming(false);
            }}
          >
            {t('documents.cancel')}
          </button>
        </p>
      ) : (
        <button type="button" className="secondary" onClick={() => setConfirming(true)} ref={focusIfCancelled}>
          {t('documents.delete')}
        </button>
      )}
    </div>
  );
}

export function DocumentEditor() {
  // Ids as the server names them (a link may give one in capitals, which the server takes too): a draft is kept by it.
  const resourceId = (useParams().resourceId ?? '').toLowerCase();
  // One editor per document: a link from one document to another starts the other's afresh, with its own draft.
  return <Editor key={resourceId} resourceId={resourceId} />;
}

/**
 * The draft over a version of the document past its own: none if that version holds the draft's text (its save,
 * answered perhaps after the user had left the editor) or if the draft changes nothing (typed and taken back: the
 * editor follows the live document again, where it stayed on the older text); over that version if it left the text
 * as the draft found it (a new name, the visibility, other fields: no conflict with the draft); else as it was.
 */
function overVersion(draft: Draft | undefined, version: ResourcePayload): Draft | undefined {
  if (!draft || draft.baseVersion >= version.version) return draft;
  const text = textOf(version);
  if (text === draft.text || draft.text === draft.baseText) return undefined;
  return text === draft.baseText ? { ...draft, baseVersion: version.version } : draft;
}

function Editor({ resourceId }: { resourceId: string }) {
  const { client, user } = useSignedIn();
  const { t } = useTranslation();
  const stream = useMemo(() => client.resource(resourceId), [client, resourceId]);
  // undefined until the first value (the channel's snapshot); null once deleted.
  const [live, setLive] = useState<ResourcePayload | null>();
  // Set when the document cannot be read (any more): made private by its owner, or never readable (the stream's
  // error; a missing document is `null`).
  const [forbidden, setForbidden] = useState(false);
  // What the user typed and has not saved, over which version (drafts.ts); kept while they are on another page.
  const [edit, setEdit] = useState<Draft | undefined>(() => draftOf(resourceId));
  /** Shows a version of the document (the later of it and the one shown), and puts the draft over it if it can. */
  const show = useCallback((value: ResourcePayload | null) => {
    setLive((shown) => laterOf(shown, value));
    if (value) setEdit((now) => overVersion(now, value));
  }, []);
  useEffect(() => {
    const subscription = stream.subscribe({
      next: show,
      error: () => setForbidden(true),
    });
    return () => subscription.unsubscribe();
  }, [stream, show]);
  const [conflict, setConflict] = useState<number>();
  const [status, setStatus] = useState<string>();
  // Save pressed while the editor holds what the server has: said, and nothing sent (see the form's submit).
  const [nothingToSave, setNothingToSave] = useState(false);
  const [error, setError] = useState<unknown>();
  const saving = useOnce();

  // Until the user edits, the editor follows the live document. Text typed over a document deleted meanwhile is
  // still unsaved (shown to be copied, and asked about before the tab closes).
  const dirty = edit && (live === null || (live && (edit.text !== textOf(live) || edit.baseVersion !== live.version)));
  const shown = edit?.text ?? textOf(live);
  const base = edit?.baseVersion ?? live?.version;

  useEffect(() => keepDraft(resourceId, edit), [resourceId, edit]);
  // Leaving the app (a reload, the tab closed) with unsaved text asks first.
  useEffect(() => {
    if (!dirty) return;
    const ask = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [dirty]);

  // One save at a time: a second press would send the same version again and be answered by a conflict with the first.
  const save = (version: number | undefined, text: string) =>
    saving.run(async () => {
      setError(undefined);
      setStatus(undefined);
      try {
        const saved = await api<ResourcePayload>(
          client,
          'PATCH',
          `/api/v1/resources/${resourceId}`,
          { data: { text } },
          version === undefined ? undefined : { 'if-match': String(version) },
        );
        setConflict(undefined);
        // The saved version is shown at once, not when its event comes (over HTTP polling, up to 5 s later: the
        // editor showed the version before the save meanwhile).
        show(saved);
        // What was typed while it was being saved stays, now over the saved version.
        setEdit((now) =>
          !now || now.text === text ? undefined : { ...now, baseVersion: saved.version, baseText: text },
        );
        setStatus(t('documents.saved', { version: saved.version }));
      } catch (err) {
        if (err instanceof RestError && err.code === 'VERSION_CONFLICT') {
          setConflict((err.details as { currentVersion?: number } | undefined)?.currentVersion ?? live?.version ?? 0);
          // The version saved meanwhile, read now: its event may be seconds away (over HTTP polling, or while the
          // socket reconnects), and until it came the conflict showed neither it nor a merge, and "Reload theirs"
          // went back to the version before. A failed read leaves it to the event.
          api<ResourcePayload>(client, 'GET', `/api/v1/resources/${resourceId}`).then(show, () => undefined);
        } else if (err instanceof RestError && err.code === 'NOT_FOUND') {
          // Deleted meanwhile, its event not come yet (polling, reconnecting): said now, the text typed left to copy.
          show(null);
        } else setError(err);
      }
    });

  if (forbidden || live === null) {
    return (
      <div className="page">
        <p role="alert">{forbidden ? t('documents.forbidden') : t('documents.deleted')}</p>
        {/* What was typed and not saved stays on the screen, to be copied elsewhere. */}
        {edit && (
          <section aria-labelledby="document-unsaved">
            <h2 id="document-unsaved">{t('documents.unsaved')}</h2>
            <pre className="theirs">{edit.text}</pre>
          </section>
        )}
        <p>
          <Link to="/documents">← {t('documents.title')}</Link>
        </p>
      </div>
    );
  }
  if (live === undefined) return <p>{t('loading')}</p>;
  const otherFields = otherFieldsOf(live);
  // Readers see the document live; only its owner and admins change it.
  const canWrite = live.ownerId === user.id || user.role === 'admin';
  return (
    <div className="page editor">
      <p>
        <Link to="/documents">← {t('documents.title')}</Link>
      </p>
      <h1>{live.name}</h1>
      {canWrite && <DocumentSettings resource={live} onSaved={show} onError={setError} />}
      <p aria-live="polite">{t('documents.liveVersion', { version: live.version, at: timeOf(live.updatedAt) })}</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          // Every PATCH is a new version, sent to every reader as one, and one over an older version is a conflict
          // for another editor: with nothing changed (or typed and taken back) nothing is sent.
          if (!dirty) {
            setNothingToSave(true);
            return;
          }
          setNothingToSave(false);
          void save(base, shown);
        }}
      >
        <label htmlFor="document-text">{t('documents.content')}</label>
        <textarea
          id="document-text"
          rows={12}
          value={shown}
          readOnly={!canWrite}
          onChange={(event) => {
            const text = event.target.value;
            setNothingToSave(false);
            setEdit((now) => (now ? { ...now, text } : { text, baseVersion: live.version, baseText: textOf(live) }));
          }}
        />
        {canWrite ? (
          <p>
            {dirty ? t('documents.editingFrom', { version: base }) : t('documents.upToDate')}{' '}
            {/* Dimmed, not disabled, while there is nothing to save: a disabled button loses the focus once saved. */}
            <button type="submit" aria-disabled={saving.busy || !dirty}>
              {t('documents.save')}
            </button>
          </p>
        ) : (
          <p className="muted">{t('documents.readOnly')}</p>
        )}
      </form>
      {conflict !== undefined && (
        <div role="alert" className="conflict">
          <p>{t('documents.conflict', { version: conflict })}</p>
          {/* Theirs is the live document once it has reached the version the server named. */}
          {live.version >= conflict && (
            <ConflictChoice
              base={edit?.baseText ?? textOf(live)}
              mine={shown}
              theirs={live}
              onMerge={(merged) => {
                setEdit({ text: merged, baseVersion: live.version, baseText: textOf(live) });
                setConflict(undefined);
                setStatus(t('documents.merged', { version: live.version }));
              }}
            />
          )}
          <button
            type="button"
            onClick={() => {
              setEdit(undefined);
              setConflict(undefined);
            }}
          >
            {t('documents.reload')}
          </button>{' '}
          <button type="button" aria-disabled={saving.busy} onClick={() => void save(conflict, shown)}>
            {t('documents.keepMine')}
          </button>
        </div>
      )}
      {nothingToSave && !dirty ? (
        <p role="status">{t('documents.noChanges')}</p>
      ) : (
        status && <p role="status">{status}</p>
      )}
      <ErrorLine error={error} />
      {otherFields && (
        <section aria-labelledby="document-other-fields">
          <h2 id="document-other-fields">{t('documents.otherFields')}</h2>
          <p>{t('documents.otherFieldsHint')}</p>
          <pre className="fields">{JSON.stringify(otherFields, null, 2)}</pre>
        </section>
      )}
    </div>
  );
}

/** In a conflict: the version saved meanwhile, and, when both sides changed different lines, their merge. */
function ConflictChoice(props: { base: string; mine: string; theirs: ResourcePayload; onMerge(merged: string): void }) {
  const { base, mine, theirs, onMerge } = props;
  const { t } = useTranslation();
  const merged = useMemo(() => mergeText(base, mine, textOf(theirs)), [base, mine, theirs]);
  return (
    <>
      {merged === undefined ? (
        <p>{t('documents.sameLines')}</p>
      ) : (
        <p>
          {t('documents.otherLines')}{' '}
          <button type="button" onClick={() => onMerge(merged)}>
            {t('documents.mergeBoth')}
          </button>
        </p>
      )}
      <section aria-labelledby="document-theirs">
        <h2 id="document-theirs">{t('documents.theirs', { version: theirs.version })}</h2>
        <pre className="theirs">{textOf(theirs)}</pre>
      </section>
    </>
  );
}
