// One CORS rule for REST and the Socket.IO polling transport: with `CORS_ORIGINS=*` any origin may read, but no
// response allows credentials (a page on any site could otherwise act with the visitor's credentials); a listed
// origin gets credentials, and any other origin gets no CORS headers at all.
import type { CorsOptions, CorsOptionsDelegate } from '@nestjs/common/interfaces/external/cors-options.interface.js';

type Request = { headers: Record<string, string | string[] | undefined> };

export function corsOptions(origins: '*' | string[]): CorsOptions | CorsOptionsDelegate<Request> {
  if (origins === '*') return { origin: '*', credentials: false };
  const listed = new Set(origins);
  return (request, callback) => {
    const origin = request.headers.origin;
    const allowed = typeof origin === 'string' && listed.has(origin);
    callback(null, allowed ? { origin, credentials: true } : { origin: false });
  };
}
