// Kept-alive connections outlive a proxy's idle ones: nginx (deploy/nginx) keeps idle connections to the app for
// 60 s, and with Node's default 5 s the app closed them under it, so a POST sent on one as it closed failed (a
// proxy does not send a non-idempotent request again). The app now closes an idle connection after 65 s.
import net from 'node:net';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../src/bootstrap.js';
import { type TestApp, startApp } from '../helpers/app.js';
import { describeE2E } from '../helpers/mode.js';
import { sleep } from '../helpers/sockets.js';

/** Sends a GET on `socket` and resolves with the head of its answer. */
function get(socket: net.Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString();
      const end = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received);
      if (end >= 0 && length && received.length >= end + 4 + Number(length[1])) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(received.slice(0, end));
      }
    };
    const onClose = () => reject(new Error(`The server closed the connection (after: ${received.slice(0, 40)})`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describeE2E('HTTP connections', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await startApp();
  });
  afterAll(() => sut.close());

  it("should keep an idle connection open longer than a proxy's idle timeout, and say so", async () => {
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    const url = new URL(sut.url);
    const socket = net.connect(Number(url.port), url.hostname);
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      const first = await get(socket, '/api/v1/health');
      expect(first).toMatch(/^HTTP\/1\.1 200/);
      expect(first).toMatch(new RegExp(`^keep-alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}$`, 'im'));
      // Past Node's default of 5 s: the same connection still serves.
      await sleep(5_500);
      expect(await get(socket, '/api/v1/health')).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      socket.destroy();
    }
  }, 20_000);
});
