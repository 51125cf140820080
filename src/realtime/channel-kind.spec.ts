import { channelKind } from './channel-kind.js';

const ID = '0b7f4c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';

describe(channelKind.name, () => {
  it.each([
    [`user:${ID}`, 'user'],
    [`conversation:${ID}`, 'conversation'],
    [`resource:updates:${ID}`, 'resource:updates'],
    [`kiosk:session:${ID}`, 'kiosk:session'],
    ['kiosk:sessions', 'kiosk:sessions'],
    ['suggestions:votes', 'suggestions:votes'],
    ['dashboard', 'dashboard'],
    [`job:${ID}`, 'job'],
  ])('should name %s as %s', (room, kind) => {
    expect(channelKind(room)).toBe(kind);
  });

  it('should name a room that is no channel (a socket id) direct', () => {
    expect(channelKind('Xk3_aZ09-q1w2e3r4t5y')).toBe('direct');
    expect(channelKind('abcdefghijklmnopqrst')).toBe('direct');
  });
});
