// Attack: keep watching someone's presence after the last conversation shared with them is gone. Leaving a
// conversation withdraws, both ways, the presence subscriptions it ended.
import { type TestApp, startApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, waitFor } from '../helpers/sockets.js';

describeE2E('Security: presence follows shared conversations', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp({ PRESENCE_GRACE_MS: '100' });
    api = client(sut.url);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  async function group(ownerToken: string, memberIds: string[]): Promise<string> {
    const res = await api.post('/api/v1/conversations', { token: ownerToken, body: { memberIds, title: 'Group' } });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  it('should withdraw presence both ways when the last shared conversation is left', async () => {
    const [leaver, watcher, third] = [
      await registerUser(sut, 'Leaver'),
      await registerUser(sut, 'Watcher'),
      await registerUser(sut, 'Third'),
    ];
    const id = await group(watcher.token, [leaver.id, third.id]);
    // A control who keeps sharing a conversation with the leaver, and so keeps watching: it shows when the
    // leaver's offline presence has been published.
    const control = await registerUser(sut, 'Control');
    await group(control.token, [leaver.id]);
    const controlSocket = await connect(sut.url, control.token);
    expect(await emitAck(controlSocket, 'subscribe', { channel: `presence:${leaver.id}` })).toMatchObject({ ok: true });
    const watcherSocket = await connect(sut.url, watcher.token);
    const leaverSocket = await connect(sut.url, leaver.token);
    expect(await emitAck(watcherSocket, 'subscribe', { channel: `presence:${leaver.id}` })).toMatchObject({ ok: true });
    expect(await emitAck(leaverSocket, 'subscribe', { channel: `presence:${watcher.id}` })).toMatchObject({ ok: true });
    const watcherOut = waitFor(watcherSocket, 'unsubscribed', (p: { channel: string }) =>
      p.channel.startsWith('presence:'),
    );
    const leaverOut = waitFor(leaverSocket, 'unsubscribed', (p: { channel: string }) =>
      p.channel.startsWith('presence:'),
    );

    expect((await api.delete(`/api/v1/conversations/${id}/members/me`, { token: leaver.token })).status).toBe(204);
    expect(await watcherOut).toEqual({ channel: `presence:${leaver.id}`, reason: 'FORBIDDEN' });
    expect(await leaverOut).toEqual({ channel: `presence:${watcher.id}`, reason: 'FORBIDDEN' });

    // The leaver going offline is no longer the watcher's business.
    const seen = collect(watcherSocket, 'presence');
    const offline = waitFor(controlSocket, 'presence', (p: { userId: string; online: boolean }) => {
      return p.userId === leaver.id && !p.online;
    });
    leaverSocket.close();
    await offline;
    // Barrier: an event to the watcher published after the offline one reaches it after anything that one sent it.
    const barrier = waitFor(watcherSocket, 'conversation:added', (e: { conversation: { title: string } }) => {
      return e.conversation.title === 'Barrier';
    });
    expect(
      (
        await api.post('/api/v1/conversations', {
          token: third.token,
          body: { memberIds: [watcher.id], title: 'Barrier' },
        })
      ).status,
    ).toBe(201);
    await barrier;
    expect(seen.filter((p: { userId: string }) => p.userId === leaver.id)).toEqual([]);
    expect(await emitAck(watcherSocket, 'subscribe', { channel: `presence:${leaver.id}` })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('should keep presence while another conversation is still shared', async () => {
    const [leaver, watcher, third] = [
      await registerUser(sut, 'Leaver Two'),
      await registerUser(sut, 'Watcher Two'),
      await registerUser(sut, 'Third Two'),
    ];
    const id = await group(watcher.token, [leaver.id, third.id]);
    await api.post('/api/v1/conversations', { token: watcher.token, body: { memberIds: [leaver.id] } });
    const watcherSocket = await connect(sut.url, watcher.token);
    expect(await emitAck(watcherSocket, 'subscribe', { channel: `presence:${leaver.id}` })).toMatchObject({ ok: true });
    const removed = collect(watcherSocket, 'unsubscribed');
    expect((await api.delete(`/api/v1/conversations/${id}/members/me`, { token: leaver.token })).status).toBe(204);
    const online = waitFor(
      watcherSocket,
      'presence',
      (p: { userId: string; online: boolean }) => p.userId === leaver.id,
    );
    await connect(sut.url, leaver.token);
    expect(await online).toMatchObject({ userId: leaver.id, online: true });
    expect(removed).toEqual([]);
  });
});
