// The contract refuses U+0000 anywhere in a request, query included. The validation pipe sees only the parameters a
// handler declares; this sees the whole query string, so an undeclared `?x=a%00` is refused the same way.
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { Request } from 'express';
import { findUnsafeText, unsafeTextError } from './validation.js';

@Injectable()
export class UnsafeQueryMiddleware implements NestMiddleware {
  use(req: Request, _res: unknown, next: () => void): void {
    const unsafe = findUnsafeText(req.query, '');
    if (unsafe) throw unsafeTextError(unsafe, 'query');
    next();
  }
}
