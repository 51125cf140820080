// The web app (web/dist, built by `npm run build`) served at `/`, with the SPA fallback (index.html) for the app's
// own routes. The API, Socket.IO, the docs and the metrics keep their paths. Without a build, nothing is served.
import { type DynamicModule, Module } from '@nestjs/common';
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

@Module({})
export class WebModule {
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
