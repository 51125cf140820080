// A small local HTTP + WebSocket proxy for client specs: forwards to one or several app instances (round-robin per
// connection), and can refuse /socket.io, refuse everything, cut every open connection, forward a request and drop
// its answer, or hold a request unanswered (a network gone quiet). Close it in afterEach/afterAll.
import http, { type IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';

export type RequestAction = 'forward' | 'drop-response' | 'hold';

export interface TestProxy {
  url: string;
  /** Answer 403 to every /socket.io request and refuse its upgrades (both Socket.IO transports blocked). */
  blockSocketIo: boolean;
  /** Cut every new connection at once, as an unreachable network would. */
  blockAll: boolean;
  /** Upstream base URLs; a dead one (connection refused) is skipped. */
  targets: string[];
  /**
   * Decides per HTTP request: forward it, forward it and cut the client's connection before the answer, or hold it:
   * neither forwarded nor answered, its connection left open (until the client gives up, or dropConnections()).
   */
  onRequest?: (req: IncomingMessage) => RequestAction;
  /**
   * Above 0, what the app sends over a WebSocket reaches the client in one chunk every `coalesceMs` (a congested or
   * mobile link delivers several frames in one read, which the client then handles in one task).
   */
  coalesceMs: number;
  /** The target of each WebSocket upgrade, in order. */
  readonly upgrades: string[];
  /** HTTP requests received, refused ones included. */
  requests: number;
  /** Cuts every open connection (client side and upstream); answers how many client connections were cut. */
  dropConnections(): number;
  close(): Promise<void>;
}

export async function startProxy(targets: string[]): Promise<TestProxy> {
  const clientSockets = new Set<Socket>();
  const upstreamSockets = new Set<Socket>();
  let next = 0;

  const track = (set: Set<Socket>, socket: Socket) => {
    set.add(socket);
    socket.on('close', () => set.delete(socket));
  };

  /** Connects to the next live target, trying each once. */
  const connectUpstream = (onConnected: (socket: Socket, target: string) => void, onFailed: () => void) => {
    const order = proxy.targets.map((_, i) => proxy.targets[(next + i) % proxy.targets.length]);
    next += 1;
    const attempt = (index: number) => {
      if (index >= order.length) return onFailed();
      const target = new URL(order[index]);
      const socket = net.connect(Number(target.port), target.hostname);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => socket.destroy());
        track(upstreamSockets, socket);
        onConnected(socket, order[index]);
      });
      socket.once('error', () => attempt(index + 1));
    };
    attempt(0);
  };

  const server = http.createServer((req, res) => {
    proxy.requests += 1;
    if (proxy.blockAll) return void req.socket.destroy();
    if (proxy.blockSocketIo && req.url?.startsWith('/socket.io')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('blocked by proxy');
      return;
    }
    const action = proxy.onRequest?.(req) ?? 'forward';
    if (action === 'hold') return;
    connectUpstream(
      (socket, target) => {
        const upstream = http.request(
          {
            createConnection: () => socket,
            host: new URL(target).host,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, connection: 'close' },
          },
          (answer) => {
            if (action === 'drop-response') {
              answer.resume();
              answer.on('end', () => req.socket.destroy());
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      },
      () => res.writeHead(502).end(),
    );
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket: Socket) => track(clientSockets, socket));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (proxy.blockAll || proxy.blockSocketIo) return void socket.destroy();
    socket.on('error', () => socket.destroy());
    connectUpstream(
      (upstream, target) => {
        proxy.upgrades.push(target);
        let raw = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
        for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
        upstream.write(raw + '\r\n');
        if (head.length > 0) upstream.write(head);
        let batch: Buffer[] = [];
        const flush = () => {
          const chunk = Buffer.concat(batch);
          batch = [];
          if (!socket.destroyed) socket.write(chunk);
        };
        upstream.on('data', (chunk: Buffer) => {
          if (batch.length === 0 && !(proxy.coalesceMs > 0)) return void socket.write(chunk);
          if (batch.push(chunk) === 1) setTimeout(flush, proxy.coalesceMs);
        });
        socket.pipe(upstream);
        upstream.on('close', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const proxy: TestProxy = {
    url: `http://127.0.0.1:${port}`,
    blockSocketIo: false,
    blockAll: false,
    coalesceMs: 0,
    targets: [...targets],
    upgrades: [],
    requests: 0,
    dropConnections() {
      const count = clientSockets.size;
      for (const socket of [...clientSockets, ...upstreamSockets]) socket.destroy();
      return count;
    },
    close() {
      proxy.dropConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
