// What a list screen shows in place of its items while they are not there: "Loading…" until the first page comes,
// why it cannot come (the server out of reach, most often) with a button to ask again, and "No … yet." only once the
// server answered an empty page (nothing, for a list whose emptiness shows otherwise: no `none`); and the button that
// brings the list's next page.
import { useTranslation } from 'react-i18next';
import { errorText } from '../api';
import type { ListLoad } from '../list';
import { useOnce } from '../once';

export function ListState({ load, empty, none }: { load: ListLoad; empty: boolean; none?: string }) {
  const { t } = useTranslation();
  if (load.state === 'failed') {
    return (
      <div className="list-state">
        <p role="alert" className="error">
          {errorText(load.reason, true)}
        </p>
        <button type="button" className="secondary" onClick={load.retry}>
          {t('retry')}
        </button>
      </div>
    );
  }
  if (!empty || (load.state === 'loaded' && none === undefined)) return null;
  return <p className="list-state">{load.state === 'loading' ? t('loading') : none}</p>;
}

/**
 * "Show more" under a list whose last page said there is another (`more` of useListPage or useNextPages): nothing on
 * the last page. A click while the page is on its way asks nothing more (the button keeps its place and focus).
 */
export function MoreButton({ more, label }: { more: (() => Promise<void>) | undefined; label?: string }) {
  const { t } = useTranslation();
  // Not disabled while the page comes: the focus stays on the button.
  const { run } = useOnce();
  if (!more) return null;
  return (
    <button type="button" className="secondary more" onClick={() => void run(more)}>
      {label ?? t('more')}
    </button>
  );
}
