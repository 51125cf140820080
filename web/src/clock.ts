// Re-renders a component every `intervalMs` while `on`, for times shown in words ("5 minutes ago") to move on.
import { useEffect, useState } from 'react';

export function useTick(intervalMs: number, on = true): void {
  const [, setNow] = useState(0);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, on]);
}
