import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AuthModule } from './auth/auth.module.js';
import { HttpAuthGuard } from './auth/http-auth.guard.js';
import { ExceptionsFilter } from './common/exceptions.filter.js';
import { UnsafeInputMiddleware } from './common/unsafe-input.middleware.js';
import { ListCursorInterceptor } from './common/list-cursor.interceptor.js';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { KioskModule } from './kiosk/kiosk.module.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { WsJwtGuard } from './realtime/ws-jwt.guard.js';
import { RedisModule } from './redis/redis.module.js';
import { ResourcesModule } from './resources/resources.module.js';
import { SuggestionsModule } from './suggestions/suggestions.module.js';
import { WebModule } from './web/web.module.js';

const QUIET_PATHS = ['/metrics', '/api/v1/health'];
/** What pino-http's own serialisers make of a request and a response, before ours pick from them. */
type SerializedRequest = { id: unknown; method: string; url: string; remoteAddress?: string };
type SerializedResponse = { statusCode: number };

import { GracefulShutdown } from './common/graceful-shutdown.js';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // A terminal gets readable lines; anything else (a file, a collector, a test) one JSON object per line.
            transport: process.stdout.isTTY
              ? {
                  target: 'pino-pretty',
                  options: {
                    translateTime: 'SYS:HH:MM:ss.l',
                    ignore: 'pid,hostname,context',
                    messageFormat: '{if context}{context}: {end}{msg}',
                  },
                }
              : undefined,
            hooks: {
              // Nest's start-up lines (each module, route and gateway handler: about 110) are for debugging; at info
              // they bury what a person starting the server needs to read.
              logMethod(args, method, level) {
                const first: unknown = args[0];
                const context = typeof first === 'object' && first !== null ? Reflect.get(first, 'context') : undefined;
                const nestStart = [
                  'NestFactory',
                  'NestApplication',
                  'InstanceLoader',
                  'RoutesResolver',
                  'RouterExplorer',
                  'WebSocketsController',
                ];
                if (level === 30 && typeof context === 'string' && nestStart.includes(context)) {
                  if (this.isLevelEnabled('debug')) this.debug(...(args as [object, string]));
                  return;
                }
                method.apply(this, args);
              },
            },
            genReqId: (req: IncomingMessage) => {
              const given = req.headers['x-request-id'];
              return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
            },
            autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.includes((req.url ?? '').split('?')[0]) },
            // A request's fields, not its headers: pino-http serialises them into the request's logger as each request
            // comes in, on the way to its handler, and headers carry tokens and cookies that a log has no use for.
            serializers: {
              req: (req: SerializedRequest) => ({
                id: req.id,
                method: req.method,
                url: req.url,
                remoteAddress: req.remoteAddress,
              }),
              res: (res: SerializedResponse) => ({ statusCode: res.statusCode }),
            },
          },
        }),
        ScheduleModule.forRoot(),
        MetricsModule,
        RedisModule,
        DatabaseModule,
        AuthModule,
        RealtimeModule,
        HealthModule,
        JobsModule,
        MessagingModule,
        NotificationsModule,
        SuggestionsModule,
        ResourcesModule,
        DashboardModule,
        KioskModule,
        WebModule.forRoot(),
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ExceptionsFilter },
        { provide: APP_INTERCEPTOR, useClass: ListCursorInterceptor },
        { provide: APP_GUARD, useClass: HttpAuthGuard },
        { provide: APP_GUARD, useClass: WsJwtGuard },
        GracefulShutdown,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(UnsafeInputMiddleware).forRoutes({ path: '*splat', method: RequestMethod.ALL });
  }
}
