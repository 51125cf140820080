// Channel (room) names: one builder per kind, the patterns the server registers, and one parser.

export const channels = {
  user: (userId: string) => `user:${userId}` as const,
  conversation: (conversationId: string) => `conversation:${conversationId}` as const,
  presence: (userId: string) => `presence:${userId}` as const,
  suggestions: () => 'suggestions:votes' as const,
  resource: (resourceId: string) => `resource:updates:${resourceId}` as const,
  dashboard: () => 'dashboard' as const,
  kioskSessions: () => 'kiosk:sessions' as const,
  kioskWorkstations: () => 'kiosk:workstations' as const,
  kioskSession: (sessionId: string) => `kiosk:session:${sessionId}` as const,
  /** A workstation's own room (joined on connect, never subscribed). */
  kioskWorkstation: (workstationId: string) => `kiosk:workstation:${workstationId}` as const,
  job: (jobId: string) => `job:${jobId}` as const,
};

/** The patterns the server's channel registry matches, `{param}` standing for one segment. */
export const CHANNEL_PATTERNS = {
  user: 'user:{userId}',
  conversation: 'conversation:{id}',
  presence: 'presence:{userId}',
  suggestions: 'suggestions:votes',
  resource: 'resource:updates:{id}',
  dashboard: 'dashboard',
  kioskSessions: 'kiosk:sessions',
  kioskWorkstations: 'kiosk:workstations',
  kioskSession: 'kiosk:session:{sessionId}',
  job: 'job:{jobId}',
} as const;

export type ParsedChannel =
  | { kind: 'user'; userId: string }
  | { kind: 'conversation'; conversationId: string }
  | { kind: 'presence'; userId: string }
  | { kind: 'suggestions' }
  | { kind: 'resource'; resourceId: string }
  | { kind: 'dashboard' }
  | { kind: 'kioskSessions' }
  | { kind: 'kioskWorkstations' }
  | { kind: 'kioskSession'; sessionId: string }
  | { kind: 'kioskWorkstation'; workstationId: string }
  | { kind: 'job'; jobId: string };

export type ChannelKind = ParsedChannel['kind'];

const FIXED: Record<string, ParsedChannel> = {
  'suggestions:votes': { kind: 'suggestions' },
  dashboard: { kind: 'dashboard' },
  'kiosk:sessions': { kind: 'kioskSessions' },
  'kiosk:workstations': { kind: 'kioskWorkstations' },
};

const PREFIXED: Array<[string, (id: string) => ParsedChannel]> = [
  ['user:', (userId) => ({ kind: 'user', userId })],
  ['conversation:', (conversationId) => ({ kind: 'conversation', conversationId })],
  ['presence:', (userId) => ({ kind: 'presence', userId })],
  ['resource:updates:', (resourceId) => ({ kind: 'resource', resourceId })],
  ['kiosk:session:', (sessionId) => ({ kind: 'kioskSession', sessionId })],
  ['kiosk:workstation:', (workstationId) => ({ kind: 'kioskWorkstation', workstationId })],
  ['job:', (jobId) => ({ kind: 'job', jobId })],
];

/** The kind and id of a channel name, or null for a name of no known kind (ids are not validated here). */
export function parseChannel(name: string): ParsedChannel | null {
  const fixed = FIXED[name];
  if (fixed) return fixed;
  for (const [prefix, build] of PREFIXED) {
    if (!name.startsWith(prefix)) continue;
    const id = name.slice(prefix.length);
    return id.length > 0 && !id.includes(':') ? build(id) : null;
  }
  return null;
}

/** The kind of a channel name at the type level, so `subscribe('job:…')` knows its events and snapshot. */
export type ChannelKindOf<C extends string> = C extends 'suggestions:votes'
  ? 'suggestions'
  : C extends 'dashboard'
    ? 'dashboard'
    : C extends 'kiosk:sessions'
      ? 'kioskSessions'
      : C extends 'kiosk:workstations'
        ? 'kioskWorkstations'
        : C extends `user:${string}`
          ? 'user'
          : C extends `conversation:${string}`
            ? 'conversation'
            : C extends `presence:${string}`
              ? 'presence'
              : C extends `resource:updates:${string}`
                ? 'resource'
                : C extends `kiosk:session:${string}`
                  ? 'kioskSession'
                  : C extends `job:${string}`
                    ? 'job'
                    : ChannelKind;
