import { Global, Module } from '@nestjs/common';
import { AccountSockets } from '../auth/account-sockets.port.js';
import { AuthModule } from '../auth/auth.module.js';
import { RealtimeAccountSockets } from './account-sockets.js';
import { ChannelRegistry } from './channel-registry.js';
import { ChannelService } from './channel.service.js';
import { ChannelsGateway } from './channels.gateway.js';
import { PresenceService } from './presence.service.js';
import { RealtimePublisher } from './realtime.publisher.js';
import { RealtimeServer } from './realtime.server.js';
import { SocketQuota } from './socket-quota.js';

/** The realtime core every gateway stands on: the socket server, channels, delivery and presence. */
@Global()
@Module({
  imports: [AuthModule],
  providers: [
    RealtimeServer,
    RealtimePublisher,
    ChannelRegistry,
    ChannelService,
    PresenceService,
    SocketQuota,
    ChannelsGateway,
    { provide: AccountSockets, useClass: RealtimeAccountSockets },
  ],
  exports: [AccountSockets, RealtimePublisher, ChannelRegistry, ChannelService, PresenceService],
})
export class RealtimeModule {}
