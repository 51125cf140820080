// Suggestions: live vote counts (the `suggestions:votes` channel, newest version wins), my vote (followed by the user's
// other tabs of this browser), new suggestion, most recent or top score first, and closing (or reopening) for the author
// and admins.
import { channels, newerVersion, RestError, type SuggestionPayload } from '@realtime-hub/client';
import { useChannel } from '@realtime-hub/client/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useCreateForm, useListPage } from '../list';
import { useSignedIn } from '../session';
import { ListState, MoreButton } from '../components/ListState';
import { Announcer } from '../components/Announcer';
import { ErrorLine } from '../components/ErrorLine';
import { dateTimeOf, postedOf } from '../i18n';
import { useTick } from '../clock';

type Suggestion = SuggestionPayload & { myVote: number };
type VoteAnswer = {
  suggestionId: string;
  upvotes: number;
  downvotes: number;
  score: number;
  version: number;
  myVote: number;
};

/**
 * My votes' answers, told to the user's other tabs of this browser. A vote's event carries the counts, for everyone,
 * not whose vote it was (`myVote` is the caller's own): another tab kept the vote it knew, and a press there did the
 * opposite of what the user meant (an upvote cast elsewhere, pressed again to take it back, was cast again).
 */
const otherTabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('realtime-hub:my-votes') : undefined;

/**
 * Adds a new suggestion, with no vote of mine yet, unless it is already listed: the live `suggestion:created` event and
 * the answer to my own POST both bring it, in either order. Most recent first, at the top. By score, where the server
 * puts it (before the first card with its score or a lower one: it is the newest of its score), unless the pages read
 * end above its score (`edge`, the last one read; "Show more" brings it).
 */
function addCreated(
  list: Suggestion[],
  created: SuggestionPayload,
  order: { sort: 'recent' | 'score'; edge: Suggestion | undefined },
): Suggestion[] {
  if (list.some((s) => s.id === created.id)) return list;
  const item = { ...created, myVote: 0 };
  if (order.sort === 'recent') return [item, ...list];
  if (order.edge && created.score < order.edge.score) return list;
  const at = list.findIndex((s) => s.score <= created.score);
  return at < 0 ? [...list, item] : [...list.slice(0, at), item, ...list.slice(at)];
}

/** A suggestion with the counts of a vote, unless it holds a later version than theirs. */
function withCounts(suggestion: Suggestion, counts: Omit<VoteAnswer, 'myVote'>): Suggestion {
  if (counts.version < suggestion.version) return suggestion;
  const { upvotes, downvotes, score, version } = counts;
  return { ...suggestion, upvotes, downvotes, score, version };
}

/** Adds a suggestion found beyond the pages read, before the first card with a lower score, unless already listed. */
function addLifted(list: Suggestion[], lifted: Suggestion): Suggestion[] {
  if (list.some((s) => s.id === lifted.id)) return list;
  const at = list.findIndex((s) => s.score < lifted.score);
  return at < 0 ? [...list, lifted] : [...list.slice(0, at), lifted, ...list.slice(at)];
}

export function Suggestions() {
  const { client, user } = useSignedIn();
  const { t } = useTranslation();
  // "Posted 5 minutes ago" moves on.
  useTick(60_000);
  // The order the list was loaded in; live changes update the cards in place rather than move them.
  const [sort, setSort] = useState<'recent' | 'score'>('recent');
  // Of a suggestion read again and the copy a live event or a vote's answer left, the later version (my vote with it).
  const listPage = useListPage<Suggestion>(client, `/api/v1/suggestions?sort=${sort}&limit=100`, newerVersion);
  const { items, setItems, load, error, run } = listPage;

  // By score, the next page starts after the last suggestion read (`edge`): one beyond it that votes lift to its score
  // or above would be in neither the pages read nor the next (it showed only after a reload). Its vote comes on the
  // channel, so it is read and listed then. `reading`: those being read, with the latest counts that came meanwhile
  // (the answer may be older).
  const reading = useRef(new Map<string, Omit<VoteAnswer, 'myVote'> | undefined>());
  const shown = useRef({ sort, items, edge: listPage.edge });
  useEffect(() => {
    shown.current = { sort, items, edge: listPage.edge };
  });
  /** Votes that came while the list by score was read, by suggestion: weighed once its first page is in. */
  const whileRead = useRef(new Map<string, Omit<VoteAnswer, 'myVote'>>());
  const listIfLifted = (counts: Omit<VoteAnswer, 'myVote'>) => {
    const { suggestionId: id, score } = counts;
    const { sort: order, items: listed, edge } = shown.current;
    if (reading.current.has(id)) {
      if (counts.version > (reading.current.get(id)?.version ?? 0)) reading.current.set(id, counts);
      return;
    }
    if (order !== 'score') return;
    // No edge: the list by score is being read (its answer may predate this vote), or read to its end (then the
    // suggestion is in it). Weighed once there is one.
    if (!edge) {
      const waiting = whileRead.current.get(id);
      if (!waiting || counts.version > waiting.version) whileRead.current.set(id, counts);
      return;
    }
    if (score < edge.score || listed.some((s) => s.id === id)) return;
    reading.current.set(id, undefined);
    api<Suggestion>(client, 'GET', `/api/v1/suggestions/${id}`)
      .then((read) => {
        const later = reading.current.get(id);
        const lifted = later ? withCounts(read, later) : read;
        if (shown.current.sort === 'score') setItems((list) => addLifted(list, lifted));
      })
      .catch(() => undefined)
      .finally(() => reading.current.delete(id));
  };
  // The list by score came (or its next page): the votes that came while it was read are weighed against it.
  useEffect(() => {
    if (!listPage.edge || sort !== 'score') return;
    const waiting = [...whileRead.current.values()];
    whileRead.current.clear();
    for (const counts of waiting) listIfLifted(counts);
    // listIfLifted reads what is shown through refs; only a new edge calls for this.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [listPage.edge, sort]);

  // My votes per suggestion, numbered: the pressed button is the one of my latest vote's answer (an earlier vote's
  // answer, come back after it, showed its button pressed though the server kept the later one).
  const votesSent = useRef(new Map<string, number>());
  const applyCounts = useCallback(
    (counts: Omit<VoteAnswer, 'myVote'> & { myVote?: number }) =>
      setItems((list) =>
        list.map((s) =>
          s.id === counts.suggestionId ? { ...withCounts(s, counts), myVote: counts.myVote ?? s.myVote } : s,
        ),
      ),
    [setItems],
  );
  // The version of the vote answer each pressed button shows, this tab's or another's: an older one, come later, leaves
  // my vote as it is (its counts too, as ever).
  const myVoteAt = useRef(new Map<string, number>());
  const applyMyVote = useCallback(
    (answer: VoteAnswer) => {
      const mine = answer.version >= (myVoteAt.current.get(answer.suggestionId) ?? 0);
      if (mine) myVoteAt.current.set(answer.suggestionId, answer.version);
      applyCounts(mine ? answer : { ...answer, myVote: undefined });
    },
    [applyCounts],
  );
  useEffect(() => {
    const heard = ({ data }: MessageEvent<{ userId: string; answer: VoteAnswer }>) => {
      if (data.userId === user.id) applyMyVote(data.answer);
    };
    otherTabs?.addEventListener('message', heard);
    return () => otherTabs?.removeEventListener('message', heard);
  }, [user.id, applyMyVote]);

  const applyUpdated = (updated: SuggestionPayload) =>
    setItems((list) =>
      list.map((s) => (s.id === updated.id && updated.version >= s.version ? { ...updated, myVote: s.myVote } : s)),
    );

  useChannel(client, channels.suggestions(), {
    // What was voted, posted or closed while no event could come (a reconnect, HTTP polling): the list read again.
    catchUp: listPage.reload,
    'suggestion:created': (created) => setItems((list) => addCreated(list, created, shown.current)),
    'suggestion:updated': applyUpdated,
    'suggestion:vote': (counts) => {
      applyCounts(counts);
      listIfLifted(counts);
    },
  });

  // A vote the server refuses because the suggestion was closed meanwhile (its event not come yet, or none coming while
  // the client polls): the suggestion is read again, so that the card says closed rather than offer the vote again.
  const readAgain = async (id: string) => {
    const read = await api<Suggestion>(client, 'GET', `/api/v1/suggestions/${id}`).catch(() => undefined);
    if (read) setItems((list) => list.map((s) => (s.id === read.id && read.version >= s.version ? read : s)));
  };

  const vote = (suggestion: Suggestion, value: 1 | -1) =>
    run(async () => {
      const sent = (votesSent.current.get(suggestion.id) ?? 0) + 1;
      votesSent.current.set(suggestion.id, sent);
      try {
        const answer =
          suggestion.myVote === value
            ? await api<VoteAnswer>(client, 'DELETE', `/api/v1/suggestions/${suggestion.id}/vote`)
            : await api<VoteAnswer>(client, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { value });
        if (votesSent.current.get(suggestion.id) === sent) {
          applyMyVote(answer);
          otherTabs?.postMessage({ userId: user.id, answer });
        } else applyCounts({ ...answer, myVote: undefined });
      } catch (err) {
        if (err instanceof RestError && err.code === 'INVALID_TRANSITION') await readAgain(suggestion.id);
        throw err;
      }
    });

  const setStatus = (suggestion: Suggestion, status: 'open' | 'closed') =>
    run(async () => {
      applyUpdated(await api<SuggestionPayload>(client, 'PATCH', `/api/v1/suggestions/${suggestion.id}`, { status }));
    });

  const create = useCreateForm(
    listPage,
    '/api/v1/suggestions',
    (form) => ({ title: String(form.get('title')), description: String(form.get('description') ?? '') }),
    (list, created) => addCreated(list, created, shown.current),
  );

  return (
    <div className="page">
      <h1>{t('suggestions.title')}</h1>
      <form className="inline-form" onSubmit={create.onSubmit}>
        <label>
          {t('suggestions.newTitle')}
          <input name="title" required minLength={3} maxLength={200} />
        </label>
        <label>
          {t('suggestions.description')}
          <input name="description" maxLength={5000} />
        </label>
        <button type="submit" aria-disabled={create.busy}>
          {t('suggestions.create')}
        </button>
      </form>
      <label className="sort">
        {t('suggestions.sort')}{' '}
        <select value={sort} onChange={(event) => setSort(event.target.value === 'score' ? 'score' : 'recent')}>
          <option value="recent">{t('suggestions.recent')}</option>
          <option value="score">{t('suggestions.top')}</option>
        </select>
      </label>
      <ErrorLine error={error} id={create.errorId} />
      <Announcer
        id={create.created?.id}
        text={create.created && t('suggestions.created', { title: create.created.title })}
      />
      <ul className="cards">
        {items.map((s) => (
          <li key={s.id}>
            <article aria-labelledby={`suggestion-${s.id}`} className="card">
              <h2 id={`suggestion-${s.id}`}>{s.title}</h2>
              <p className="muted">
                <time dateTime={s.createdAt} title={dateTimeOf(s.createdAt)}>
                  {postedOf(s.createdAt, s.authorId === user.id)}
                </time>
              </p>
              {s.description && <p>{s.description}</p>}
              <p className="counts">
                {t('labelled', { label: t('suggestions.score') })} <strong>{s.score}</strong> ·{' '}
                {t('labelled', { label: t('suggestions.up') })} {s.upvotes} ·{' '}
                {t('labelled', { label: t('suggestions.down') })} {s.downvotes}
                {s.status === 'closed' && <> · {t('suggestions.closed')}</>}
              </p>
              {/* Closed, the vote buttons are dimmed, not disabled: a disabled button loses the focus, and the reader on
                  one, when its author closed it, was sent back to the top of the page. */}
              <div className="votes">
                <button
                  type="button"
                  aria-pressed={s.myVote === 1}
                  aria-disabled={s.status === 'closed'}
                  onClick={() => void (s.status === 'open' && vote(s, 1))}
                >
                  <span aria-hidden="true">▲</span> {t('suggestions.upvote')}
                </button>
                <button
                  type="button"
                  aria-pressed={s.myVote === -1}
                  aria-disabled={s.status === 'closed'}
                  onClick={() => void (s.status === 'open' && vote(s, -1))}
                >
                  <span aria-hidden="true">▼</span> {t('suggestions.downvote')}
                </button>
                {(s.authorId === user.id || user.role === 'admin') && (
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => void setStatus(s, s.status === 'open' ? 'closed' : 'open')}
                  >
                    {s.status === 'open' ? t('suggestions.close') : t('suggestions.reopen')}
                  </button>
                )}
              </div>
            </article>
          </li>
        ))}
      </ul>
      <MoreButton more={listPage.more} />
      <ListState load={load} empty={items.length === 0} none={t('suggestions.none')} />
    </div>
  );
}
