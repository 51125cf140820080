// What SIGTERM does before Nest's own shutdown: stop taking connections (new ones go to another instance), refuse
// new socket events with SERVICE_UNAVAILABLE, let what is in flight finish (at most SHUTDOWN_GRACE_MS), then let Nest
// close the sockets (clients reconnect elsewhere), the HTTP server and the database.
import { Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { AppConfig } from '../config/app-config.js';
import { InFlight } from './in-flight.js';

@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(
    private readonly inFlight: InFlight,
    private readonly httpHost: HttpAdapterHost,
    private readonly config: AppConfig,
  ) {}

  async drain(): Promise<void> {
    this.inFlight.draining = true;
    const server = this.httpHost.httpAdapter.getHttpServer() as Server;
    // No new connections; idle keep-alive ones end now, busy ones after their response (sent with Connection: close).
    server.close();
    server.closeIdleConnections();
    const started = Date.now();
    const drained = await this.inFlight.idle(this.config.shutdownGraceMs);
    this.logger.log(
      { drained, left: this.inFlight.size, waitedMs: Date.now() - started },
      drained ? 'In-flight work finished' : 'Shutdown grace over with work still in flight',
    );
  }
}
