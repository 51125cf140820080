// Re-renders a component as time moves on, for times shown relative to now: every `intervalMs` ("5 minutes ago"),
// or when the calendar day changes ("Today", a weekday, an hour that becomes "Yesterday").
import { useEffect, useState } from 'react';

export function useTick(intervalMs: number, on = true): void {
  const [, setNow] = useState(0);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, on]);
}

/**
 * Re-renders a component when the browser's calendar day changes: at the next midnight, and when the page is shown
 * again (a computer asleep across midnight fires its timers late, if at all).
 */
export function useDayChange(on = true): void {
  const [, setDay] = useState(() => new Date().toDateString());
  useEffect(() => {
    if (!on) return;
    let timer: ReturnType<typeof setTimeout>;
    const check = (): void => {
      clearTimeout(timer);
      const now = new Date();
      setDay(now.toDateString());
      const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
      timer = setTimeout(check, midnight.getTime() - now.getTime() + 100);
    };
    check();
    document.addEventListener('visibilitychange', check);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', check);
    };
  }, [on]);
}
