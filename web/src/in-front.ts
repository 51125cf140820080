// Whether the user is in this tab: it is shown and its window has the focus. What arrives while they are elsewhere
// is left unread (and counted in the tab's title) and told by a desktop notification, if they turned those on.
import { useEffect, useState } from 'react';

export const isInFront = (): boolean => document.visibilityState === 'visible' && document.hasFocus();

/** isInFront, as state: follows focus, blur and visibility changes. */
export function useInFront(): boolean {
  const [inFront, setInFront] = useState(isInFront);
  useEffect(() => {
    const update = () => setInFront(isInFront());
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    document.addEventListener('visibilitychange', update);
    return () => {
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
      document.removeEventListener('visibilitychange', update);
    };
  }, []);
  return inFront;
}
