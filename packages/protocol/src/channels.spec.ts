import { CHANNEL_PATTERNS, channels, parseChannel } from './channels.js';
import { CHANNEL_EVENTS } from './events.js';

describe(parseChannel.name, () => {
  const id = '0b4f6a1e-8c1d-4a57-9a55-3b7d2a1f0c11';

  it('should parse what every builder builds back to its kind and id', () => {
    expect(parseChannel(channels.user(id))).toEqual({ kind: 'user', userId: id });
    expect(parseChannel(channels.conversation(id))).toEqual({ kind: 'conversation', conversationId: id });
    expect(parseChannel(channels.presence(id))).toEqual({ kind: 'presence', userId: id });
    expect(parseChannel(channels.resource(id))).toEqual({ kind: 'resource', resourceId: id });
    expect(parseChannel(channels.kioskSession(id))).toEqual({ kind: 'kioskSession', sessionId: id });
    expect(parseChannel(channels.kioskWorkstation(id))).toEqual({ kind: 'kioskWorkstation', workstationId: id });
    expect(parseChannel(channels.job(id))).toEqual({ kind: 'job', jobId: id });
    expect(parseChannel(channels.suggestions())).toEqual({ kind: 'suggestions' });
    expect(parseChannel(channels.dashboard())).toEqual({ kind: 'dashboard' });
    expect(parseChannel(channels.kioskSessions())).toEqual({ kind: 'kioskSessions' });
    expect(parseChannel(channels.kioskWorkstations())).toEqual({ kind: 'kioskWorkstations' });
  });

  it('should answer null for unknown kinds, empty ids and extra segments', () => {
    expect(parseChannel('nope:1')).toBeNull();
    expect(parseChannel('user:')).toBeNull();
    expect(parseChannel('job:1:2')).toBeNull();
    expect(parseChannel('resource:1')).toBeNull();
  });

  it('should keep each registry pattern the builder of its kind with the parameter in braces', () => {
    for (const [kind, pattern] of Object.entries(CHANNEL_PATTERNS)) {
      const build = channels[kind as keyof typeof channels] as (id: string) => string;
      expect(pattern.replace(/\{[a-zA-Z]+\}/, 'X')).toBe(build('X'));
      expect(CHANNEL_EVENTS[kind as keyof typeof CHANNEL_EVENTS].length).toBeGreaterThan(0);
    }
  });
});
