// The adapter's delivery rules, on a real Socket.IO server and client over loopback: an event flagged `latest` reaches
// the sockets only when its version is above the last one delivered in its room. A copy from another instance goes
// through the same `apply` as the local one (the Redis adapter hands it to its parent's broadcast), so broadcasting
// the copies here in the order they would arrive is the cross-instance case.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { services } from '../../test/helpers/mode.js';
import { eventually } from '../../test/helpers/sockets.js';
import {
  holdBackUpTo,
  holdUntilAnswered,
  orderedAdapterFactory,
  OwnEchoFreeRedisAdapter,
  type PublishFlags,
  releaseAfterAnswer,
} from './ordered-adapter.js';

const { jest } = import.meta;

describe(orderedAdapterFactory.name, () => {
  let http: HttpServer;
  let server: Server;
  let client: ClientSocket;

  beforeEach(async () => {
    http = createServer();
    // A stream first seen past seq 1 would wait a minute for the seqs before: a test sees whether it waits at all.
    server = new Server(http, { adapter: orderedAdapterFactory({ ordering: { firstWaitMs: 60_000 } }) });
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

  it('should send a socket only the events of a stream past its snapshot, the next one at once', async () => {
    const [socket] = await server.fetchSockets();
    const order = (seq: number) => {
      const flags: PublishFlags = { publishedAt: Date.now(), order: { key: 'job:j1', seq } };
      server
        .of('/')
        .adapter.broadcast(
          { type: 2, data: ['event', { seq }], nsp: '/' },
          { rooms: new Set(['user:a']), except: new Set(), flags },
        );
    };
    const heard: number[] = [];
    client.on('event', (event: { seq: number }) => heard.push(event.seq));
    // Its snapshot holds the stream up to seq 7, which is still on its way; 8 follows it.
    const adapter = server.of('/').adapter;
    holdUntilAnswered(adapter, 'user:a', socket.id);
    holdBackUpTo(adapter, 'user:a', socket.id, { key: 'job:j1', seq: 7 });
    releaseAfterAnswer(adapter, 'user:a', socket.id, true);
    order(7);
    // Not held for the seqs before 8 (a minute here), which the snapshot holds.
    order(8);
    await eventually(() => heard.length === 1);
    order(9);
    await eventually(() => heard.length === 2);
    expect(heard).toEqual([8, 9]);
  });

  it('should keep the events for a subscribing socket until its answer, then send those past its snapshot in order', async () => {
    const [socket] = await server.fetchSockets();
    const adapter = server.of('/').adapter;
    const heard: string[] = [];
    client.on('event', (event: { seq?: number; note?: string }) => heard.push(String(event.seq ?? event.note)));
    const send = (data: { seq?: number; note?: string }, flags: PublishFlags) =>
      adapter.broadcast(
        { type: 2, data: ['event', data], nsp: '/' },
        { rooms: new Set(['user:a']), except: new Set(), flags },
      );
    // Seq 1 makes the stream known here: what follows is delivered at once, not held for order.
    send({ seq: 1 }, { publishedAt: Date.now(), order: { key: 'job:j1', seq: 1 } });
    await eventually(() => heard.length === 1);
    holdUntilAnswered(adapter, 'user:a', socket.id);
    send({ seq: 2 }, { publishedAt: Date.now(), order: { key: 'job:j1', seq: 2 } });
    send({ note: 'unordered' }, { publishedAt: Date.now() });
    send({ seq: 3 }, { publishedAt: Date.now(), order: { key: 'job:j1', seq: 3 } });
    // Its snapshot counts seqs up to 2; the answer goes, then what waited.
    holdBackUpTo(adapter, 'user:a', socket.id, { key: 'job:j1', seq: 2 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual(['1']);
    releaseAfterAnswer(adapter, 'user:a', socket.id, true);
    send({ seq: 4 }, { publishedAt: Date.now(), order: { key: 'job:j1', seq: 4 } });
    await eventually(() => heard.length === 4);
    expect(heard).toEqual(['1', 'unordered', '3', '4']);
  });

  it('should drop what waited for a subscription refused', async () => {
    const [socket] = await server.fetchSockets();
    const adapter = server.of('/').adapter;
    const heard: string[] = [];
    client.on('event', (event: { note: string }) => heard.push(event.note));
    const send = (note: string) =>
      adapter.broadcast(
        { type: 2, data: ['event', { note }], nsp: '/' },
        { rooms: new Set(['user:a']), except: new Set(), flags: { publishedAt: Date.now() } as PublishFlags },
      );
    holdUntilAnswered(adapter, 'user:a', socket.id);
    send('while refused');
    releaseAfterAnswer(adapter, 'user:a', socket.id, false);
    send('after');
    await eventually(() => heard.length === 1);
    expect(heard).toEqual(['after']);
  });
});

// Two instances on real Redis (classic adapter): each delivers the other's broadcasts, and neither decodes its own
// (every instance receives its own broadcasts back from Redis).
const redisSpec = services.redisUrl ? describe : describe.skip;
redisSpec(
  `${OwnEchoFreeRedisAdapter.name} on Redis${services.redisUrl ? '' : ' [skipped: set TEST_REDIS_URL]'}`,
  () => {
    const key = `spec-${randomUUID()}:io`;
    const instances: Array<{ http: HttpServer; server: Server; client: ClientSocket; connections: Redis[] }> = [];

    beforeAll(async () => {
      for (let i = 0; i < 2; i += 1) {
        const connections = [new Redis(services.redisUrl!), new Redis(services.redisUrl!)];
        const [pub, sub] = connections;
        const http = createServer();
        const adapter = orderedAdapterFactory(
          { ordering: {} },
          { pub, sub, mode: 'classic', options: { key, requestsTimeout: 1000 } },
        );
        const server = new Server(http, { adapter });
        server.on('connection', (socket) => void socket.join('room'));
        await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
        const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
        const client = connectClient(url, { transports: ['websocket'] });
        await new Promise<void>((resolve) => client.once('connect', () => resolve()));
        instances.push({ http, server, client, connections });
      }
      // Each adapter subscribes as it is made (its pattern, then its request channel) once its connection is up.
      const [pub] = instances[0].connections;
      await eventually(async () => {
        const [, subscribers] = (await pub.call('pubsub', 'numsub', `${key}-request#/#`)) as [string, number];
        expect(subscribers).toBe(2);
      });
    });
    afterAll(async () => {
      for (const { server, client, connections } of instances) {
        client.close();
        await server.close();
        for (const connection of connections) connection.disconnect();
      }
    });

    it("should deliver each instance's broadcast on both, decoding only the other instance's copy", async () => {
      const [a, b] = instances;
      const adapterOf = (server: Server) => server.of('/').adapter as unknown as OwnEchoFreeRedisAdapter;
      expect(adapterOf(a.server)).toBeInstanceOf(OwnEchoFreeRedisAdapter);
      const decode = jest.spyOn(
        (adapterOf(a.server) as unknown as { parser: { decode: () => unknown } }).parser,
        'decode',
      );
      const heard = (client: ClientSocket, from: string) =>
        new Promise<string>((resolve) => client.once(`from:${from}`, (body: string) => resolve(body)));
      const publish = (server: Server, from: string) => server.to('room').emit(`from:${from}`, `hello from ${from}`);

      const fromA = Promise.all([heard(a.client, 'a'), heard(b.client, 'a')]);
      publish(a.server, 'a');
      expect(await fromA).toEqual(['hello from a', 'hello from a']);
      // B publishes once it has A's: Redis hands A its own copy before B's, so by B's arrival A had both.
      const fromB = Promise.all([heard(a.client, 'b'), heard(b.client, 'b')]);
      publish(b.server, 'b');
      expect(await fromB).toEqual(['hello from b', 'hello from b']);
      // One decode on each instance: the other's broadcast (without the check, each decoded its own as well: four).
      expect(decode).toHaveBeenCalledTimes(2);
      decode.mockRestore();
    });
  },
);
