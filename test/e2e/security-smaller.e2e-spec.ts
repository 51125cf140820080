// Smaller holes (issue 14, item 10): a kiosk staying in the channel of a session that ended, and the typing throttle
// reset by a `false`.
import { RealtimeServer } from '../../src/realtime/realtime.server.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { loginAdmin, registerUser } from '../helpers/factories.js';
import { client } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, collect, connect, emitAck, eventually, sleep, waitFor } from '../helpers/sockets.js';

describeE2E('Security: smaller holes', () => {
  let sut: TestApp;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    sut = await startApp({ KIOSK_MIN_DURATION_SECONDS: '1' });
    api = client(sut.url);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should take a kiosk out of the channel of its session once the session ended', async () => {
    const admin = await loginAdmin(sut);
    const kiosk = await api.post('/api/v1/kiosk/workstations', { token: admin.token, body: { name: 'Ends' } });
    const session = await api.post('/api/v1/kiosk/sessions', { token: admin.token, body: { durationSeconds: 600 } });
    const socket = await connect(sut.url, kiosk.body.token);
    expect(await emitAck(socket, 'validate_code', { code: session.body.accessCode })).toMatchObject({ ok: true });
    const channel = `kiosk:session:${session.body.id}`;
    const roomsOfKiosk = async (): Promise<Set<string>> => {
      const [remote] = await sut.app.get(RealtimeServer).server.in(socket.id!).fetchSockets();
      return remote.rooms;
    };
    expect(await roomsOfKiosk()).toContain(channel);
    const terminated = waitFor(socket, 'session_terminated');
    await api.post(`/api/v1/kiosk/sessions/${session.body.id}/terminate`, { token: admin.token });
    expect(await terminated).toMatchObject({ sessionId: session.body.id, reason: 'admin' });
    await eventually(async () => expect(await roomsOfKiosk()).not.toContain(channel), 5000);
    expect(socket.connected).toBe(true);
  });

  it('should drop an isTyping:true within 1000 ms of a passed one even when a false came between', async () => {
    const [typist, listener] = [await registerUser(sut, 'Typist'), await registerUser(sut, 'Listener')];
    const typistSocket = await connect(sut.url, typist.token);
    const listenerSocket = await connect(sut.url, listener.token);
    // The three events must land within the 1000 ms window; on a machine too loaded for that, try again.
    for (let attempt = 1; ; attempt += 1) {
      const conversation = await api.post('/api/v1/conversations', {
        token: typist.token,
        body: { memberIds: [listener.id], title: `Typing ${attempt}` },
      });
      const conversationId = conversation.body.id;
      expect(await emitAck(listenerSocket, 'subscribe', { channel: `conversation:${conversationId}` })).toMatchObject({
        ok: true,
      });
      const heard = collect(listenerSocket, 'typing');
      const started = Date.now();
      for (const isTyping of [true, false, true]) {
        expect(await emitAck(typistSocket, 'typing', { conversationId, isTyping })).toEqual({ ok: true, data: {} });
      }
      const elapsed = Date.now() - started;
      await sleep(300);
      const seen = heard.filter((p: { conversationId: string }) => p.conversationId === conversationId);
      listenerSocket.off('typing');
      if (elapsed >= 800 && attempt < 3) continue;
      expect(elapsed).toBeLessThan(800);
      expect(seen.map((p: { isTyping: boolean }) => p.isTyping)).toEqual([true, false]);
      return;
    }
  });
});
