// Builds the application (used by main.ts and by the e2e tests, which run several apps in one process).
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { setupAsyncApi } from './asyncapi/asyncapi.setup.js';
import { corsOptions } from './common/cors.js';
import type { AppConfig } from './config/app-config.js';
import type { Server, ServerResponse } from 'node:http';
import { InFlight } from './common/in-flight.js';
import { fastJsonBody } from './common/json-body.js';
import { securityHeaders } from './common/security-headers.js';
import { completeOpenApi } from './common/openapi.js';
import { MetricsService } from './metrics/metrics.service.js';
import { RedisIoAdapter } from './realtime/redis-io.adapter.js';
import { RedisService } from './redis/redis.service.js';

/** REST bodies above this (256 KiB) get 413; resources check their own 64 KiB `data` limit. */
export const REST_BODY_LIMIT = 256 * 1024;
/**
 * How long an idle kept-alive connection stays open. Node's default (5 s) is shorter than what a proxy in front
 * keeps its idle connections to the app for (nginx's upstream `keepalive_timeout` 60 s, deploy/nginx; most load
 * balancers 60 s): the proxy then sends a request on a connection the app is closing, and a POST there fails with a
 * 502, since a proxy does not send a non-idempotent request again. Longer than theirs, the close is always the
 * proxy's. Clients that keep connections alive read it from the `Keep-Alive: timeout=65` header.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node's rule: the time allowed for a request's headers is longer than the idle keep-alive.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  app.use(securityHeaders());
  app.use(fastJsonBody(REST_BODY_LIMIT));
  app.useBodyParser('json', { limit: REST_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.enableCors(corsOptions(config.corsOrigins));
  app.setGlobalPrefix('api/v1', { exclude: ['metrics'] });
  const inFlight = app.get(InFlight);
  app.use((_req: unknown, res: ServerResponse, next: () => void) => {
    inFlight.enter();
    res.once('close', () => inFlight.leave());
    // While shutting down, each connection ends after its response, so the server can close.
    if (inFlight.draining) res.setHeader('connection', 'close');
    next();
  });

  const adapter = new RedisIoAdapter(app, config, app.get(RedisService), app.get(MetricsService));
  await adapter.connectToRedis();
  app.useWebSocketAdapter(adapter);

  // The API's documents are built on their first request (Swagger keeps what the factory gives), not at every start:
  // both scans took about 50 ms of CPU a warm start, more a cold one, and the test suite starts a few hundred apps.
  const openApi = () =>
    completeOpenApi(
      SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('realtime-hub')
          .setDescription(
            'REST API of realtime-hub. Live events travel over Socket.IO (path /socket.io); see the contract for channels and events. ' +
              'Errors: `{statusCode, code, message, details}` (ErrorBody).',
          )
          .setVersion('1')
          .addBearerAuth()
          .build(),
      ),
    );
  SwaggerModule.setup('docs', app, openApi, { jsonDocumentUrl: 'docs-json', useGlobalPrefix: false });
  setupAsyncApi(app);
  new NestLogger('Bootstrap').debug(
    { embedded: config.embedded, redis: Boolean(config.redis.url) },
    'Application built',
  );
  return app;
}
