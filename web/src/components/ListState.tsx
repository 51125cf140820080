// What a list screen shows in place of its items while they are not there: "Loading…" until the first page comes,
// why it cannot come (the server out of reach, most often) with a button to ask again, and "No … yet." only once the
// server answered an empty page (nothing, for a list whose emptiness shows otherwise: no `none`).
import { useTranslation } from 'react-i18next';
import type { ListLoad } from '../list';

export function ListState({ load, empty, none }: { load: ListLoad; empty: boolean; none?: string }) {
  const { t } = useTranslation();
  if (load.state === 'failed') {
    return (
      <div className="list-state">
        <p role="alert" className="error">
          {load.reason}
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
