// One action of a button at a time (every form and action button that must not run twice: sign-in, the kiosk's code,
// creates and saves, "Show more"). A double click on a create button created two of what it creates (two kiosk
// sessions, the first one's access code never shown; two documents; a notification sent twice), and a double click on
// a document's Save sent the same version twice, the second answered by a conflict with the first.
import { type FormEvent, useCallback, useRef, useState } from 'react';

export interface Once {
  /** Whether an action is under way: its button shows it (disabled). */
  busy: boolean;
  /** Runs `work` unless an earlier one is still under way, in which case it does nothing. */
  run(work: () => Promise<void>): Promise<void>;
  /** A form's submit handler that runs `work` with the form, once at a time (as `run`). */
  submit(work: (form: HTMLFormElement) => Promise<void>): (event: FormEvent<HTMLFormElement>) => void;
}

export function useOnce(): Once {
  // The ref decides (two clicks can come before React renders the button disabled); the state shows it.
  const underWay = useRef(false);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (work: () => Promise<void>) => {
    if (underWay.current) return;
    underWay.current = true;
    setBusy(true);
    try {
      await work();
    } finally {
      underWay.current = false;
      setBusy(false);
    }
  }, []);
  const submit = useCallback(
    (work: (form: HTMLFormElement) => Promise<void>) => (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const form = event.currentTarget;
      void run(() => work(form));
    },
    [run],
  );
  return { busy, run, submit };
}
