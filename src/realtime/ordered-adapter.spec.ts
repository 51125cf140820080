// The adapter's delivery rules, on a real Socket.IO server and client over loopback: an event flagged `latest` reaches
// the sockets only when its version is above the last one delivered in its room. A copy from another instance goes
// through the same `apply` as the local one (the Redis adapter hands it to its parent's broadcast), so broadcasting
// the copies here in the order they would arrive is the cross-instance case.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { orderedAdapterFactory, type PublishFlags } from './ordered-adapter.js';

describe(orderedAdapterFactory.name, () => {
  let http: HttpServer;
  let server: Server;
  let client: ClientSocket;

  beforeEach(async () => {
    http = createServer();
    server = new Server(http, { adapter: orderedAdapterFactory({ ordering: {} }) });
    server.on('connection', (socket) => void socket.join('user:a'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const joined = new Promise<void>((resolve) => server.once('connection', () => setImmediate(resolve)));
    client = connectClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'] });
    await joined;
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  const publish = (version: number, key = 'inbox:c1') => {
    const flags: PublishFlags = { publishedAt: Date.now(), latest: { key, version } };
    server
      .of('/')
      .adapter.broadcast(
        { type: 2, data: ['inbox:update', { key, version }], nsp: '/' },
        { rooms: new Set(['user:a']), except: new Set(), flags },
      );
  };

  it('should deliver only the versions above the last delivered for a key, each key on its own', async () => {
    const heard: Array<{ key: string; version: number }> = [];
    // The last one published: the socket gets its events in the order they were sent, so the others are in by then.
    const last = new Promise<void>((resolve) =>
      client.on('inbox:update', (event: { key: string; version: number }) => {
        heard.push(event);
        if (event.version === 5) resolve();
      }),
    );
    for (const version of [2, 4, 3, 4]) publish(version);
    publish(1, 'inbox:c2');
    publish(5);
    await last;
    expect(heard).toEqual([
      { key: 'inbox:c1', version: 2 },
      { key: 'inbox:c1', version: 4 },
      { key: 'inbox:c2', version: 1 },
      { key: 'inbox:c1', version: 5 },
    ]);
  });
});
