// A benchmark client process: holds many real socket.io-client sockets and records when events arrive.
// Driven over IPC by bench/lib/clients.mjs.
import { io } from 'socket.io-client';

const now = () => performance.timeOrigin + performance.now();
/** The sockets held, by set: a scenario may hold the app's and a baseline's at once, to alternate their rounds. */
const sets = new Map();
const socketsOf = (set = 'main') => {
  if (!sets.has(set)) sets.set(set, []);
  return sets.get(set);
};
let receipts = new Map(); // key -> arrival times
let waiters = [];

function keyOf(payload, field) {
  if (field) return String(payload?.[field] ?? '');
  return String(payload?.version ?? payload?.seq ?? payload?.round ?? payload?.id ?? '');
}

function record(payload, field) {
  const key = keyOf(payload, field);
  const t = now();
  const list = receipts.get(key);
  if (list) list.push(t);
  else receipts.set(key, [t]);
  waiters = waiters.filter((w) => {
    if (w.key === key && (receipts.get(key)?.length ?? 0) >= w.count) {
      w.resolve();
      return false;
    }
    return true;
  });
}

function connectOne(url, token, join, listen) {
  return new Promise((resolve) => {
    const socket = io(url, {
      transports: ['websocket'],
      auth: token ? { token } : {},
      reconnection: false,
      forceNew: true,
      timeout: 60_000,
    });
    const done = (ok, error) => resolve({ socket, ok, error });
    socket.once('connect_error', (err) => done(false, err.message));
    socket.once('connect', async () => {
      for (const spec of listen) {
        const { event, key } = typeof spec === 'string' ? { event: spec, key: undefined } : spec;
        socket.on(event, (payload) => record(payload, key));
      }
      if (!join) return done(true);
      try {
        const ack = await socket.timeout(60_000).emitWithAck(join.event, join.payload);
        done(ack?.ok === true, ack?.ok ? undefined : JSON.stringify(ack));
      } catch (err) {
        done(false, err.message);
      }
    });
  });
}

const handlers = {
  /** `joins` gives each socket its own `join` (by index), where the rooms differ. */
  async connect({ url, tokens, count, join, joins, listen = [], concurrency = 100, set }) {
    const sockets = socketsOf(set);
    let errors = 0;
    let firstError;
    for (let i = 0; i < count; i += concurrency) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + concurrency); j += 1) {
        batch.push(connectOne(url, tokens?.length ? tokens[j % tokens.length] : undefined, joins?.[j] ?? join, listen));
      }
      for (const { socket, ok, error } of await Promise.all(batch)) {
        if (ok) sockets.push(socket);
        else {
          errors += 1;
          firstError ??= error;
          socket.close();
        }
      }
    }
    return { connected: sockets.length, errors, firstError };
  },
  async await({ key, count, timeoutMs = 30_000 }) {
    if ((receipts.get(key)?.length ?? 0) >= count) return { complete: true };
    return new Promise((resolve) => {
      const waiter = { key, count, resolve: () => resolve({ complete: true }) };
      waiters.push(waiter);
      setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        resolve({ complete: false, received: receipts.get(key)?.length ?? 0 });
      }, timeoutMs);
    });
  },
  async collect() {
    const out = Object.fromEntries(receipts);
    receipts = new Map();
    return out;
  },
  /** Sends `total` acked events from every socket of the set in turn, at most `inFlight` at once; answers ack latencies. */
  async acks({ event, makePayload, total, inFlight, set }) {
    const sockets = socketsOf(set);
    const latencies = [];
    let failures = 0;
    let sent = 0;
    const build = new Function('i', 'socketIndex', `return (${makePayload})(i, socketIndex);`);
    const started = now();
    async function lane(laneIndex) {
      while (sent < total) {
        const i = sent;
        sent += 1;
        const socketIndex = (laneIndex + i) % sockets.length;
        const t0 = now();
        try {
          const ack = await sockets[socketIndex].timeout(30_000).emitWithAck(event, build(i, socketIndex));
          if (ack?.ok) latencies.push(now() - t0);
          else failures += 1;
        } catch {
          failures += 1;
        }
      }
    }
    await Promise.all(Array.from({ length: inFlight }, (_, lane_) => lane(lane_)));
    return { latencies, failures, elapsedMs: now() - started };
  },
  /**
   * Polls `path` for each token every `everyMs` (staggered), as today's clients do; records each new item's
   * arrival time by `key` and counts requests. `afterSeq` follows the newest seq seen per token.
   */
  async poll({ url, tokens, everyMs, durationMs, key = 'id' }) {
    let requests = 0;
    let failures = 0;
    const deadline = Date.now() + durationMs;
    await Promise.all(
      tokens.map(async (token) => {
        let afterSeq = 0;
        await new Promise((r) => setTimeout(r, Math.random() * everyMs));
        while (Date.now() < deadline) {
          const started = Date.now();
          try {
            requests += 1;
            const res = await fetch(`${url}/api/v1/notifications?afterSeq=${afterSeq}&limit=100`, { headers: { authorization: `Bearer ${token}` } });
            const body = await res.json();
            if (!res.ok) failures += 1;
            for (const item of body.items ?? []) {
              record(item, key);
              afterSeq = Math.max(afterSeq, item.seq);
            }
          } catch {
            failures += 1;
          }
          const wait = everyMs - (Date.now() - started);
          if (Date.now() + wait >= deadline) break;
          await new Promise((r) => setTimeout(r, Math.max(0, wait)));
        }
      }),
    );
    return { requests, failures };
  },
  async rss() {
    return { rss: process.memoryUsage().rss };
  },
  async close() {
    for (const socket of [...sets.values()].flat()) socket.close();
    sets.clear();
    receipts = new Map();
    return { closed: true };
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, result: await handlers[cmd](args ?? {}) });
  } catch (err) {
    process.send({ id, error: err.message });
  }
});
