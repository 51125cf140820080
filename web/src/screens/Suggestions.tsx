// Suggestions: live vote counts (the `suggestions:votes` channel, newest version wins), my vote, new suggestion.
import { channels, type SuggestionPayload } from '@realtime-hub/client';
import { useChannel } from '@realtime-hub/client/react';
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorText, loadUntilDone, type Page } from '../api';
import { useSignedIn } from '../session';

type Suggestion = SuggestionPayload & { myVote: number };
type VoteAnswer = {
  suggestionId: string;
  upvotes: number;
  downvotes: number;
  score: number;
  version: number;
  myVote: number;
};

export function Suggestions() {
  const { client } = useSignedIn();
  const { t } = useTranslation();
  const [items, setItems] = useState<Suggestion[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    return loadUntilDone(
      () => api<Page<Suggestion>>(client, 'GET', '/api/v1/suggestions?sort=recent&limit=100'),
      (page) => setItems(page.items),
    );
  }, [client]);

  const applyCounts = (counts: Omit<VoteAnswer, 'myVote'> & { myVote?: number }) =>
    setItems((list) =>
      list.map((s) => {
        if (s.id !== counts.suggestionId) return s;
        const myVote = counts.myVote ?? s.myVote;
        if (counts.version < s.version) return { ...s, myVote };
        const { upvotes, downvotes, score, version } = counts;
        return { ...s, upvotes, downvotes, score, version, myVote };
      }),
    );

  useChannel(client, channels.suggestions(), {
    'suggestion:created': (created) =>
      setItems((list) => (list.some((s) => s.id === created.id) ? list : [{ ...created, myVote: 0 }, ...list])),
    'suggestion:updated': (updated) =>
      setItems((list) =>
        list.map((s) => (s.id === updated.id && updated.version >= s.version ? { ...updated, myVote: s.myVote } : s)),
      ),
    'suggestion:vote': (counts) => applyCounts(counts),
  });

  const vote = async (suggestion: Suggestion, value: 1 | -1) => {
    setError(undefined);
    try {
      const answer =
        suggestion.myVote === value
          ? await api<VoteAnswer>(client, 'DELETE', `/api/v1/suggestions/${suggestion.id}/vote`)
          : await api<VoteAnswer>(client, 'PUT', `/api/v1/suggestions/${suggestion.id}/vote`, { value });
      applyCounts(answer);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    try {
      const created = await api<Suggestion>(client, 'POST', '/api/v1/suggestions', {
        title: String(form.get('title')),
        description: String(form.get('description') ?? ''),
      });
      setItems((list) => (list.some((s) => s.id === created.id) ? list : [{ ...created, myVote: 0 }, ...list]));
      formElement.reset();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="page">
      <h1>{t('suggestions.title')}</h1>
      <form className="inline-form" onSubmit={(event) => void create(event)}>
        <label>
          {t('suggestions.newTitle')}
          <input name="title" required minLength={3} maxLength={200} />
        </label>
        <label>
          {t('suggestions.description')}
          <input name="description" maxLength={5000} />
        </label>
        <button type="submit">{t('suggestions.create')}</button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <ul className="cards">
        {items.map((s) => (
          <li key={s.id}>
            <article aria-labelledby={`suggestion-${s.id}`} className="card">
              <h2 id={`suggestion-${s.id}`}>{s.title}</h2>
              {s.description && <p>{s.description}</p>}
              <p className="counts">
                {t('suggestions.score')}: <strong>{s.score}</strong> · {t('suggestions.up')}: {s.upvotes} ·{' '}
                {t('suggestions.down')}: {s.downvotes}
                {s.status === 'closed' && <> · {t('suggestions.closed')}</>}
              </p>
              <div className="votes">
                <button
                  type="button"
                  aria-pressed={s.myVote === 1}
                  disabled={s.status === 'closed'}
                  onClick={() => void vote(s, 1)}
                >
                  <span aria-hidden="true">▲</span> {t('suggestions.upvote')}
                </button>
                <button
                  type="button"
                  aria-pressed={s.myVote === -1}
                  disabled={s.status === 'closed'}
                  onClick={() => void vote(s, -1)}
                >
                  <span aria-hidden="true">▼</span> {t('suggestions.downvote')}
                </button>
              </div>
            </article>
          </li>
        ))}
      </ul>
      {items.length === 0 && <p>{t('suggestions.none')}</p>}
    </div>
  );
}
