// The contract refuses U+0000 (and unpaired surrogates) anywhere in a request. Checked here for the whole query string
// and the whole parsed body, whatever parameters the handler declares: a route that reads no body (read-all, leaving
// a conversation) refuses `{"x": "a\u0000"}` like any other. Socket payloads get the same check in
// SocketGateways.dispatch.
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { Request } from 'express';
import { findUnsafeText, unsafeTextError } from './validation.js';

@Injectable()
export class UnsafeInputMiddleware implements NestMiddleware {
  use(req: Request, _res: unknown, next: () => void): void {
    const inQuery = findUnsafeText(req.query, '');
    if (inQuery) throw unsafeTextError(inQuery, 'query');
    const inBody = findUnsafeText(req.body as unknown, '');
    if (inBody) throw unsafeTextError(inBody, 'body');
    next();
  }
}
