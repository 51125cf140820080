// The fast JSON body reader on a real HTTP server: what it reads itself, and what it leaves to body-parser.
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fastJsonBody, parseStrictJson } from './json-body.js';

interface Seen {
  error?: { status: number; type: string };
  /** The parsed body, when the reader took the request. */
  body?: unknown;
  /** What was left in the stream for the next parser, when it did not. */
  left?: string;
}

describe('fastJsonBody', () => {
  const LIMIT = 1024;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const read = fastJsonBody(LIMIT);
    server = createServer((req: IncomingMessage & { body?: unknown }, res) => {
      read(req, res, (err?: unknown) => {
        const finish = (seen: Seen): void => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(seen));
        };
        if (err) return finish({ error: err as Seen['error'] });
        if ('body' in req) return finish({ body: req.body });
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => finish({ left: Buffer.concat(chunks).toString('latin1') }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function send(body: Buffer | string, headers: Record<string, string | undefined>): Promise<Seen> {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: clean(headers) });
    const answered = once(req, 'response');
    req.end(payload);
    const [res] = (await answered) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString()) as Seen;
  }

  const clean = (headers: Record<string, string | undefined>): Record<string, string> =>
    Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const json = (body: string, type = 'application/json'): Record<string, string> => ({
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
  });

  it('should parse a UTF-8 JSON object or array with its length given, whatever JSON type names it', async () => {
    const body = '{"value":1,"name":"Élodie"}';
    expect(await send(body, json(body))).toEqual({ body: { value: 1, name: 'Élodie' } });
    expect(await send(' [1,2]', json(' [1,2]', 'application/merge-patch+json; charset=UTF-8'))).toEqual({
      body: [1, 2],
    });
  });

  it('should drop a byte order mark, as body-parser does', async () => {
    const body = '\uFEFF{"a":true}';
    expect(await send(body, json(body))).toEqual({ body: { a: true } });
  });

  it("should answer body-parser's 400 error for malformed JSON and for a body that is not an object or array", async () => {
    for (const body of ['{"a":', '"text"', '  42']) {
      expect(await send(body, json(body))).toEqual({
        error: expect.objectContaining({ status: 400, type: 'entity.parse.failed' }),
      });
    }
  });

  it('should leave every other request to body-parser, unread', async () => {
    const body = '{"a":1}';
    const zipped = gzipSync(body);
    const cases: Array<[Buffer | string, Record<string, string | undefined>]> = [
      [body, { ...json(body), 'content-type': 'application/json; charset=latin1' }],
      [body, { ...json(body), 'content-type': 'text/plain' }],
      [body, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }],
      [
        zipped,
        { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(zipped.length) },
      ],
      ['x'.repeat(LIMIT + 1), json('x'.repeat(LIMIT + 1))],
    ];
    for (const [payload, headers] of cases) {
      const seen = await send(payload, headers);
      expect(seen).toEqual({ left: Buffer.from(payload).toString('latin1') });
    }
  });

  it('should parse the way JSON.parse does once the first character is checked', () => {
    expect(parseStrictJson('\n\t {"deep":[{"x":null}]}')).toEqual({ deep: [{ x: null }] });
    expect(() => parseStrictJson('')).toThrow(expect.objectContaining({ status: 400 }));
    // A SyntaxError with status 400, as body-parser's: Nest answers it 400 with its message.
    expect(() => parseStrictJson('"text"')).toThrow(SyntaxError);
    expect(() => parseStrictJson('{"a":')).toThrow(SyntaxError);
  });
});
