// The web app (web/dist, built by `npm run build`) served at `/`, with the SPA fallback (index.html) for the app's
// own routes. The API, Socket.IO, the docs and the metrics keep their paths. Without a build, nothing is served.
// Whatever nothing answers (outside /api/v1, which Nest's own 404 covers) gets the JSON error envelope, not Express's
// HTML "Cannot GET".
import { type DynamicModule, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ErrorCodes, type RestErrorBody } from '@realtime-hub/protocol';
import type { Request, Response } from 'express';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Paths the web app never answers: the REST API, Socket.IO, Swagger (`/docs`, `/docs-json`), metrics, AsyncAPI; a missing build asset is a 404, not the app. */
export const NOT_WEB = /^\/(api|socket\.io|docs|metrics|asyncapi|assets)(?=[/.?-]|$)/;

/** The nearest `web/dist` holding an index.html, looking up from this file (src/ under ts-jest, dist/src/ built). */
export function findWebDist(from = import.meta.dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'web', 'dist');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The last handler of the stack: 404 in the contract's envelope. */
export function notFound(req: Request, res: Response): void {
  const body: RestErrorBody = {
    statusCode: 404,
    code: ErrorCodes.NOT_FOUND,
    message: `Cannot ${req.method} ${req.path}`,
    details: {},
  };
  res.status(404).json(body);
}

@Module({})
export class WebModule implements OnApplicationBootstrap {
  constructor(private readonly httpHost: HttpAdapterHost) {}

  // Runs after Nest has registered its routes, its 404 for /api/v1 and its error handler, so this comes last.
  onApplicationBootstrap(): void {
    const instance: unknown = this.httpHost.httpAdapter?.getInstance();
    if (typeof instance === 'function' && 'use' in instance) {
      (instance as { use(handler: typeof notFound): void }).use(notFound);
    }
  }

  static forRoot(rootPath = findWebDist()): DynamicModule {
    if (!rootPath) return { module: WebModule };
    return {
      module: WebModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath,
          exclude: NOT_WEB,
          serveStaticOptions: { index: 'index.html', fallthrough: true },
        }),
      ],
    };
  }
}
