// A list's cursor works on that list only. The lists make their cursors from the last row of a page
// (pagination.ts), and two lists whose rows have the same shape (a time and an id) would read each other's: a cursor
// of `/jobs` given to `/resources` would page from a position it never issued. Here, on the way out, every
// `nextCursor` of a GET is prefixed with a tag of the request's path (its ids included: a job's events are one
// list); on the way in, a `cursor` without the path's tag is VALIDATION_FAILED, and with it, the list sees its own.
import { createHash } from 'node:crypto';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { map, type Observable } from 'rxjs';
import { malformedCursor } from './pagination.js';

const SEPARATOR = '.';

/** A short tag of the list's path: its cursors start with it and a dot (which no cursor of pagination.ts holds). */
export function listCursorTag(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 10);
}

@Injectable()
export class ListCursorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    if (request.method !== 'GET') return next.handle();
    // Worked out only for a request that brings a cursor or an answer that carries one (not for every GET).
    let tagged: string | undefined;
    const tagOf = (): string => (tagged ??= listCursorTag(request.path));
    const cursor: unknown = request.query.cursor;
    if (typeof cursor === 'string') {
      const tag = tagOf();
      if (!cursor.startsWith(tag + SEPARATOR)) throw malformedCursor();
      // Express 5 parses the query string again on every read of `req.query`: the list's view is fixed here.
      Object.defineProperty(request, 'query', {
        value: { ...request.query, cursor: cursor.slice(tag.length + SEPARATOR.length) },
        configurable: true,
        writable: true,
      });
    }
    return next.handle().pipe(
      map((body: unknown) => {
        const page = body as { nextCursor?: unknown } | null;
        if (page === null || typeof page !== 'object' || typeof page.nextCursor !== 'string') return body;
        return { ...page, nextCursor: tagOf() + SEPARATOR + page.nextCursor };
      }),
    );
  }
}
