// Attack: leave one's own `user:{id}` room, then dodge revocation, demotion and removal. The server keeps its own
// room of every principal's sockets, which no client event can join or leave.
import { type TestApp, startApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import {
  demotedAdminLosesEverySocket,
  disabledUserLosesEverySocket,
  leaverStopsReceivingMessages,
} from '../helpers/identity-room-attacks.js';
import { describeE2E } from '../helpers/mode.js';
import { client } from '../helpers/http.js';
import { closeAllSockets, connect, emitAck, waitDisconnect, waitFor } from '../helpers/sockets.js';

describeE2E('Security: server-owned identity rooms', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startApp();
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should disconnect a demoted admin who left their user room, and send them no more kiosk events', () =>
    demotedAdminLosesEverySocket(sut, sut));

  it('should disconnect a disabled user who left their user room', () => disabledUserLosesEverySocket(sut, sut));

  it('should take a leaver who left their user room out of the conversation channel', () =>
    leaverStopsReceivingMessages(sut, sut));

  it("should disconnect a job's worker sockets when the job ends", async () => {
    const owner = await registerUser(sut, 'Job Owner');
    const api = client(sut.url);
    const job = await api.post('/api/v1/jobs', { token: owner.token, body: { name: 'ends' } });
    const worker = await api.post(`/api/v1/jobs/${job.body.id}/token`, { token: owner.token });
    const socket = await connect(sut.url, worker.body.token);
    expect(await emitAck(socket, 'subscribe:job', { jobId: job.body.id })).toMatchObject({ ok: true });
    const last = waitFor(socket, 'event', (e: { type: string }) => e.type === 'job_failed');
    const gone = waitDisconnect(socket);
    const events = `/api/v1/jobs/${job.body.id}/events`;
    await api.post(events, { token: owner.token, body: { type: 'job_started', data: {} } });
    await api.post(events, { token: owner.token, body: { type: 'job_failed', data: { error: 'stop' } } });
    // The final event still reaches the worker, then its socket closes.
    expect(await last).toMatchObject({ type: 'job_failed', jobId: job.body.id });
    await gone;
  });

  it("should refuse to let a client join or leave a principal's server-owned room", async () => {
    const user = await registerUser(sut, 'Curious');
    const other = await registerUser(sut, 'Other');
    const socket = await connect(sut.url, user.token);
    for (const [event, channel] of [
      ['unsubscribe', `principal:user:${user.id}`],
      ['subscribe', `principal:user:${user.id}`],
      ['subscribe', `principal:user:${other.id}`],
      ['unsubscribe', `PRINCIPAL:USER:${user.id}`],
    ]) {
      expect(await emitAck(socket, event, { channel })).toEqual({
        ok: false,
        error: { code: 'FORBIDDEN', message: expect.any(String) },
      });
    }
  });
});
