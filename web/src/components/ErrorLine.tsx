import { type Dispatch, type SetStateAction, useCallback, useState } from 'react';
import { errorText } from '../api';

/** A screen's error line: a sentence for the user (from `errorText`), announced as it appears; nothing when empty. */
export function ErrorLine({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}

/**
 * The state of a screen's error line, and `run`, which runs one of the screen's actions: it clears the line first,
 * and shows what the action failed with, as a sentence.
 */
export function useErrorLine(): {
  error: string | undefined;
  setError: Dispatch<SetStateAction<string | undefined>>;
  run(action: () => Promise<void>): Promise<void>;
} {
  const [error, setError] = useState<string>();
  const run = useCallback(async (action: () => Promise<void>) => {
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  return { error, setError, run };
}
