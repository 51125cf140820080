// Property-based fuzzing of every socket event and every REST route, as an outside client would send them: wrong
// types, long and deep values, U+0000, unpaired surrogates, `__proto__` keys, extra fields. Every answer must be a
// contract envelope (never INTERNAL, never a 5xx), the server must stay up and its memory bounded (heap after a
// forced GC and resident memory, before the first run and after the last). Bounded in runs and time; the seed is
// fixed (FUZZ_SEED to replay another, FUZZ_SEED=random to explore) and inputs that once failed are kept below as
// regressions.
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Socket } from 'socket.io-client';
import { CLIENT_EVENT_NAMES, ErrorCodes } from '@realtime-hub/protocol';
import { startApp, type TestApp } from '../helpers/app.js';
import { loginAdmin, registerUser, type TestUser } from '../helpers/factories.js';
import { client, http, metricValue } from '../helpers/http.js';
import { describeE2E } from '../helpers/mode.js';
import { closeAllSockets, connect, emitAck } from '../helpers/sockets.js';

// A fixed seed keeps CI repeatable; FUZZ_SEED=random explores (each failure found so becomes a regression below).
const SEED =
  process.env.FUZZ_SEED === 'random' ? Date.now() % 2_147_483_647 : Number(process.env.FUZZ_SEED ?? 666_718_594);
const SOCKET_RUNS = 400;
const REST_RUNS = 1000;
const TIME_LIMIT_MS = 20_000;
const CODES = new Set<string>(Object.values(ErrorCodes));
/** The contract's frame limit (Socket.IO's `maxHttpBufferSize`). */
const MAX_FRAME_BYTES = 64 * 1024;

/**
 * The server's memory may not grow with the runs (the app runs in this process). Its heap after a forced GC may grow
 * by at most this much from before the first run to after the last: measured +6 MiB for these runs, +8 MiB for three
 * times as many (warm-up: compiled code, caches filled once), so 24 MiB leaves room for noise, not for a leak.
 */
const HEAP_GROWTH_LIMIT_BYTES = 24 * 1024 * 1024;
/** Resident memory (`process_resident_memory_bytes` on /metrics) is noisier (allocator high-water): +28..42 MiB. */
const RSS_GROWTH_LIMIT_BYTES = 160 * 1024 * 1024;

/** The heap in use after a full garbage collection (`gc` from a context created once the flag is set). */
function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Values no handler expects. */
function nasty(): fc.Arbitrary<unknown> {
  const strings = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '%00', '../../etc/passwd', "' OR 1=1 --", '__proto__'),
    fc.string({ minLength: 4000, maxLength: 9000 }),
    fc.uuid(),
    fc.constantFrom('conversation:', 'user:0', 'resource:updates:', 'job:x', 'kiosk:session:', 'presence:'),
  );
  const leaf = fc.oneof(
    strings,
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308, null, true, false),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(fc.oneof(strings, fc.constantFrom('__proto__', 'constructor')), tie('value'), {
      maxKeys: 5,
    }),
  }));
  const deep = fc.integer({ min: 50, max: 300 }).map((depth) => {
    let node: unknown = 'bottom';
    for (let i = 0; i < depth; i += 1) node = i % 2 ? [node] : { a: node };
    return node;
  });
  const protoKey = fc.constant(JSON.parse('{"__proto__": {"admin": true}, "channel": "dashboard"}'));
  return fc.oneof(value, deep, protoKey);
}

/** An envelope of the contract: `{ok: true, data}` or `{ok: false, error: {code, message}}` with a known code. */
function expectEnvelope(answer: unknown, context: unknown): void {
  const ack = answer as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  const good =
    ack !== null &&
    typeof ack === 'object' &&
    (ack.ok === true ||
      (ack.ok === false &&
        typeof ack.error?.code === 'string' &&
        CODES.has(ack.error.code) &&
        ack.error.code !== 'INTERNAL' &&
        typeof ack.error.message === 'string'));
  if (!good) throw new Error(`Not a contract envelope: ${JSON.stringify(answer)?.slice(0, 300)} for ${context}`);
}

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
  minLength?: number;
}

interface Operation {
  method: string;
  path: string;
  body?: Schema;
  query: string[];
}

type Schemas = Record<string, Schema>;

/** A plausible value for `schema`, so that the one corrupted field is what reaches the handler. */
function plausible(schema: Schema | undefined, schemas: Schemas, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.constant(null);
  if (schema.$ref) return plausible(schemas[schema.$ref.split('/').pop()!], schemas, depth + 1);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.constant(new Date().toISOString());
      return fc.string({ minLength: schema.minLength ?? 1, maxLength: 20 });
    case 'integer':
    case 'number':
      return fc.integer({ min: -2, max: 100 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items, schemas, depth + 1), { maxLength: 3 });
    default:
      return fc.constant({});
  }
}

/** What replaces one field: a string with U+0000 or a lone surrogate, the wrong type, a huge or deep value. */
function corrupted(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ minLength: 1, maxLength: 10 }).map((text) => `${text}\u0000${text}`),
    fc.constantFrom('\u0000', '\uD800', 'a\uDFFFb', ' ', ''),
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })),
    fc.constant(JSON.parse('{"__proto__": {"admin": true}}')),
    nasty(),
  );
}

/** An object shaped like `schema` with one field (or none) corrupted, plus at times a field it does not know. */
function shapedBody(schema: Schema | undefined, schemas: Schemas): fc.Arbitrary<unknown> {
  const resolved = schema?.$ref ? schemas[schema.$ref.split('/').pop()!] : schema;
  const properties = Object.entries(resolved?.properties ?? {});
  if (properties.length === 0) return nasty();
  const valid = fc.tuple(...properties.map(([, field]) => plausible(field, schemas)));
  return fc
    .record({
      values: valid,
      target: fc.integer({ min: 0, max: properties.length }),
      bad: corrupted(),
      extra: fc.dictionary(fc.string({ maxLength: 8 }), nasty(), { maxKeys: 1 }),
    })
    .map(({ values, target, bad, extra }) => {
      const body: Record<string, unknown> = { ...extra };
      properties.forEach(([name], i) => (body[name] = i === target ? bad : values[i]));
      return body;
    });
}

describeE2E('Fuzzing every socket event and REST route', () => {
  let sut: TestApp;
  let user: TestUser;
  let admin: TestUser;
  let kioskToken: string;
  let heapBefore: number;
  let rssBefore: number;

  beforeAll(async () => {
    sut = await startApp({ WS_RATE_LIMIT: '100000' });
    user = await registerUser(sut, 'Fuzzer');
    admin = await loginAdmin(sut);
    const created = await client(sut.url).post('/api/v1/kiosk/workstations', {
      token: admin.token,
      body: { name: 'Fuzzed kiosk' },
    });
    kioskToken = created.body.token;
    heapBefore = heapAfterGc();
    rssBefore = await residentBytes(sut.url);
  });
  afterEach(() => closeAllSockets());
  afterAll(() => sut.close());

  it('should answer every socket event with a contract envelope, whatever its payload', async () => {
    const sockets: Record<string, Socket> = {
      user: await connect(sut.url, user.token),
      admin: await connect(sut.url, admin.token),
      kiosk: await connect(sut.url, kioskToken),
    };
    // Payload shapes from the AsyncAPI document, so that most payloads are valid but for one corrupted field.
    const asyncApi = (await client(sut.url).get('/asyncapi.json')).body as {
      components: { messages: Record<string, { name: string; payload?: Schema }>; schemas: Schemas };
    };
    const payloadOf = new Map(
      Object.entries(asyncApi.components.messages)
        .filter(([key]) => key.startsWith('client.'))
        .map(([, message]) => [message.name, message.payload]),
    );
    expect(CLIENT_EVENT_NAMES.filter((name) => !payloadOf.has(name))).toEqual([]);
    const emission = fc.constantFrom(...CLIENT_EVENT_NAMES).chain((event) =>
      fc.record({
        event: fc.constant(event),
        payload: fc.oneof(
          { weight: 4, arbitrary: shapedBody(payloadOf.get(event), asyncApi.components.schemas) },
          { weight: 1, arbitrary: nasty() },
        ),
      }),
    );
    const reconnect = async (who: string, token: string) => {
      if (!sockets[who].connected) sockets[who] = await connect(sut.url, token);
    };
    await fc.assert(
      fc.asyncProperty(
        emission,
        fc.constantFrom('user', 'admin', 'kiosk'),
        fc.boolean(),
        async ({ event, payload }, who, withPayload) => {
          // `auth:refresh` with a bad token may legitimately end the socket; reopen it for the next run.
          await reconnect('user', user.token);
          await reconnect('admin', admin.token);
          await reconnect('kiosk', kioskToken);
          const args = withPayload ? [payload] : [];
          // The contract closes the connection on a frame over 64 KiB; the packet adds a few bytes to the JSON.
          const frameBytes = Buffer.byteLength(JSON.stringify([event, ...args]));
          const outcome = await emitAck(sockets[who], event, ...args).then(
            (ack) => ({ ack }),
            (error: Error) => ({ error }),
          );
          if ('error' in outcome) {
            if (frameBytes > MAX_FRAME_BYTES - 32 && /disconnected/.test(outcome.error.message)) return;
            throw outcome.error;
          }
          if (frameBytes > MAX_FRAME_BYTES) throw new Error(`A ${frameBytes}-byte frame was answered, not refused`);
          expectEnvelope(outcome.ack, `${event} as ${who}`);
        },
      ),
      { seed: SEED, numRuns: SOCKET_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, endOnFailure: true },
    );
    expect((await client(sut.url).get('/api/v1/health')).status).toBe(200);
  });

  // Inputs the fuzzer once found answered 500 or let through (seeds 660773420, 660823750, 666718594), kept as
  // regressions.
  it.each([
    ['POST', '/api/v1/suggestions', { title: 'L|\u0000L|', description: 'name' }],
    ['GET', '/api/v1/users?cursor=WyJ4IiwieSJd', undefined],
    ['POST', '/api/v1/auth/register', { email: 'a\udfffb', password: 'long enough secret', displayName: 'Lone' }],
    ['POST', '/api/v1/auth/register?x=a%00', { email: 'nul@example.com', password: 'long enough', displayName: 'N' }],
  ])('should answer %s %s with a 400, not a 500', async (method, path, body) => {
    const res = await http(sut.url, method, path, { token: admin.token, body });
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('should answer every REST route below 500 with the error body of the contract, whatever it is sent', async () => {
    interface OpenApiOperation {
      requestBody?: { content?: Record<string, { schema?: Schema }> };
      parameters?: { name: string; in: string }[];
    }
    const spec = (await client(sut.url).get('/docs-json')).body as {
      paths: Record<string, Record<string, OpenApiOperation>>;
      components: { schemas: Schemas };
    };
    const schemas = spec.components.schemas;
    const operations: Operation[] = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          body: op.requestBody?.content?.['application/json']?.schema,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        })),
    );
    // Ending the fuzzer's own session would only test that tokens stop working.
    const fuzzed = operations.filter((op) => !/\/auth\/(logout|refresh)$/.test(op.path));
    expect(fuzzed.length).toBeGreaterThan(30);
    const pathValue = fc.oneof(fc.uuid(), fc.string({ maxLength: 30 }), fc.constantFrom('\u0000', '%00', '..', 'me'));
    // Cursors that decode to what no list issued (["x","y"], ["after","x"]), U+0000, numbers out of range.
    const queryValue = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('\u0000', 'a\u0000', '-1', '1e9', 'WyJ4IiwieSJd', 'WyJhZnRlciIsIngiXQ', '[]', 'true'),
    );
    const request = fc.constantFrom(...fuzzed).chain((op) =>
      fc.record({
        op: fc.constant(op),
        params: fc.dictionary(fc.constantFrom(...op.query, 'x'), queryValue, { maxKeys: 3 }),
        body: fc.oneof(
          { weight: 4, arbitrary: shapedBody(op.body, schemas) },
          { weight: 1, arbitrary: fc.constantFrom('{"a":', '\u0000', '[]', 'null') },
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        request,
        fc.constantFrom('user', 'admin', 'none'),
        pathValue,
        fc.boolean(),
        async ({ op, params, body }, who, id, raw) => {
          const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(id));
          const search = new URLSearchParams(params as Record<string, string>).toString();
          const token = who === 'user' ? user.token : who === 'admin' ? admin.token : undefined;
          const sendBody = op.method !== 'GET' && op.method !== 'DELETE';
          const options = sendBody
            ? raw && typeof body === 'string'
              ? { token, raw: body }
              : { token, body: body ?? {} }
            : { token };
          const res = await http(sut.url, op.method, `${path}${search ? `?${search}` : ''}`, options);
          const context = `${op.method} ${path}?${search} as ${who}`;
          if (res.status >= 500) throw new Error(`${res.status} ${JSON.stringify(res.body)} for ${context}`);
          if (res.status >= 400) {
            const error = res.body as { statusCode?: unknown; code?: unknown; message?: unknown };
            const good = error?.statusCode === res.status && typeof error.code === 'string' && CODES.has(error.code);
            if (!good) throw new Error(`Not a contract error: ${JSON.stringify(res.body)} for ${context}`);
          }
        },
      ),
      { seed: SEED, numRuns: REST_RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, endOnFailure: true },
    );
    expect((await client(sut.url).get('/api/v1/health')).status).toBe(200);
  });

  // Last, after every run above (the tests of a file run in order).
  it('should hold its memory bounded after the runs', async () => {
    closeAllSockets();
    const growth = heapAfterGc() - heapBefore;
    const rssGrowth = (await residentBytes(sut.url)) - rssBefore;
    if (process.env.FUZZ_REPORT) {
      const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
      process.stdout.write(`fuzz memory: heap after GC +${mib(growth)} MiB, RSS +${mib(rssGrowth)} MiB\n`);
    }
    expect(growth).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
    expect(rssGrowth).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);
  });
});

/** The process's resident memory as /metrics reports it (`process_resident_memory_bytes`). */
async function residentBytes(url: string): Promise<number> {
  let text: string;
  try {
    text = (await client(url).get('/metrics')).body as string;
  } catch {
    // The forced GC just before can stall this process (the app runs in it) past the server's keep-alive timeout,
    // so the pooled connection may be closed under the request (ECONNRESET): a GET is safe to send once more.
    text = (await client(url).get('/metrics')).body as string;
  }
  const bytes = metricValue(text, 'process_resident_memory_bytes');
  if (bytes === undefined) throw new Error('No process_resident_memory_bytes in /metrics');
  return bytes;
}
