import { type Dispatch, type SetStateAction, useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../api';

/**
 * A screen's error line: what an action failed with, as a sentence for the user (`errorText`) worded when shown, so
 * in the language the user switches to after it; announced as it appears; nothing when there is none. `id` lets the
 * fields it speaks of point to it (aria-describedby).
 */
export function ErrorLine({ error, id }: { error: unknown; id?: string }) {
  useTranslation();
  if (error === undefined) return null;
  return (
    <p role="alert" className="error" id={id}>
      {errorText(error)}
    </p>
  );
}

/**
 * The state of a screen's error line (what failed, as thrown), and `run`, which runs one of the screen's actions: it
 * clears the line first, and shows what the action failed with.
 */
export function useErrorLine(): {
  error: unknown;
  setError: Dispatch<SetStateAction<unknown>>;
  run(action: () => Promise<void>): Promise<void>;
} {
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<void>) => {
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
  }, []);
  return { error, setError, run };
}
