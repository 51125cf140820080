// A channel's kind for metric labels: its name without ids (`conversation:{id}` → `conversation`,
// `resource:updates:{id}` → `resource:updates`), so label values stay few whatever the traffic.

const KNOWN = new Set(['user', 'conversation', 'presence', 'suggestions', 'resource', 'dashboard', 'kiosk', 'job']);
const WORD = /^[a-z][a-z_-]*$/;

/** `direct` for a room that is no channel (a socket's own id). */
export function channelKind(room: string): string {
  const parts = room.split(':');
  if (!KNOWN.has(parts[0])) return 'direct';
  return parts.filter((part) => WORD.test(part)).join(':');
}
