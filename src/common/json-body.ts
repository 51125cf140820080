// REST bodies: body-parser's json() (Express's) reads every body, except the common case, which this reads first: a
// JSON body in UTF-8, not compressed, whose length is given and within the limit. Read the same way (the BOM dropped,
// bad bytes as U+FFFD, strict: an object or an array), parsed with JSON.parse, failing the same way (a SyntaxError
// with status 400: VALIDATION_FAILED). The reason is speed: body-parser's generic reader (type-is, raw-body,
// iconv-lite, content-type) cost about 0.13 ms of CPU per request here, a tenth of what a vote spends before its
// broadcast (bench/README.md). Anything else (a charset, a content-encoding, no length, an empty or oversized body)
// goes on to body-parser untouched, and once this has read a body, body-parser sees the request finished and leaves
// it alone.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** `application/json` or `application/*+json`, with at most a UTF-8 charset. */
const PLAIN_JSON = /^application\/(?:[\w.-]+\+)?json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;
/** What may come before the first value of a strict body: JSON's own whitespace. */
const LEADING_WHITESPACE = /^[ \t\n\r]*/;

type BodyRequest = IncomingMessage & { body?: unknown };

/**
 * An error as body-parser's: a status, a type and `expose` (Nest turns such errors into a 400 HttpException with
 * their message); a parse failure is a SyntaxError, as body-parser's is.
 */
function bodyError(error: Error, type: string): Error {
  return Object.assign(error, { status: 400, statusCode: 400, type, expose: true });
}

/** Parses `text` as body-parser's strict JSON parser does; throws its 400 error. */
export function parseStrictJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.charAt(LEADING_WHITESPACE.exec(body)![0].length);
  if (first !== '{' && first !== '[') {
    const found = first === '' ? 'end of input' : `token ${JSON.stringify(first)}`;
    throw bodyError(
      new SyntaxError(`Unexpected ${found}: a JSON body must be an object or an array`),
      'entity.parse.failed',
    );
  }
  try {
    return JSON.parse(body);
  } catch (err) {
    throw bodyError(new SyntaxError((err as Error).message), 'entity.parse.failed');
  }
}

export function fastJsonBody(limitBytes: number) {
  return (req: BodyRequest, _res: ServerResponse, next: (err?: unknown) => void): void => {
    const length = Number(req.headers['content-length']);
    const type = req.headers['content-type'];
    if (
      !(length > 0 && length <= limitBytes) ||
      req.headers['content-encoding'] !== undefined ||
      type === undefined ||
      !PLAIN_JSON.test(type)
    ) {
      next();
      return;
    }
    const chunks: Buffer[] = [];
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      next(bodyError(new Error('request aborted'), 'request.aborted'));
    };
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('aborted', fail);
    req.once('error', fail);
    req.once('end', () => {
      if (failed) return;
      try {
        req.body = parseStrictJson((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8'));
      } catch (err) {
        next(err);
        return;
      }
      next();
    });
  };
}
