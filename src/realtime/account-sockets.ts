// The realtime core's side of auth's AccountSockets port.
import { Injectable } from '@nestjs/common';
import { AccountSockets } from '../auth/account-sockets.port.js';
import { accountRoom } from './principal-rooms.js';
import { RealtimePublisher } from './realtime.publisher.js';

@Injectable()
export class RealtimeAccountSockets extends AccountSockets {
  constructor(private readonly publisher: RealtimePublisher) {
    super();
  }

  disconnect(userId: string): void {
    this.publisher.disconnectRoom(accountRoom(userId));
  }
}
