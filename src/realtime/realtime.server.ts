import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';

/** Holds this instance's Socket.IO server once the gateway is up, for the publisher and channel service. */
@Injectable()
export class RealtimeServer {
  private io?: Server;

  attach(io: Server): void {
    this.io = io;
  }

  get server(): Server {
    if (!this.io) throw new Error('The Socket.IO server is not ready yet');
    return this.io;
  }

  get ready(): boolean {
    return this.io !== undefined;
  }
}
