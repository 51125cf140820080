// A keyboard or screen-reader user whose focused element goes (a toast dismissed, a row ended, a form closed, a
// conflict resolved, a group left) was left on the page itself, sent back before "Skip to content". The focus goes
// instead to the first element that takes it in the nearest part of the page still there: the next row, the bell, the
// conversation list.
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), ' +
  '[tabindex]:not([tabindex="-1"])';

/** A ref that focuses its element once, when it is shown (a function of its own, so React calls it only then). */
export function focusWhenShown(element: HTMLElement | null): void {
  element?.focus();
}

export function rescueFocusOnRemoval(root: Node = document.body): () => void {
  /** The element that had the focus last, and its ancestors, nearest first. */
  let where: Element[] = [];
  const onFocusIn = (event: FocusEvent): void => {
    where = [];
    for (let at = event.target as Element | null; at && at !== document.body; at = at.parentElement) where.push(at);
  };
  // The focus leaves no event when its element is removed: the DOM's changes tell.
  const observer = new MutationObserver(() => {
    if (document.activeElement !== document.body || where.length === 0 || where[0].isConnected) return;
    const lost = where;
    where = [];
    for (const container of lost.slice(1)) {
      if (!container.isConnected) continue;
      // The first that takes it: one hidden (a phone's link back to the list, on a desktop) does not.
      for (const next of container.querySelectorAll<HTMLElement>(FOCUSABLE)) {
        next.focus();
        if (document.activeElement === next) return;
      }
    }
  });
  document.addEventListener('focusin', onFocusIn);
  observer.observe(root, { childList: true, subtree: true });
  return () => {
    document.removeEventListener('focusin', onFocusIn);
    observer.disconnect();
  };
}
