import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AccountSockets } from '../auth/account-sockets.port.js';
import { AuthModule } from '../auth/auth.module.js';
import { InFlight } from '../common/in-flight.js';
import { RealtimeAccountSockets } from './account-sockets.js';
import { ChannelRegistry } from './channel-registry.js';
import { ChannelService } from './channel.service.js';
import { ChannelsGateway } from './channels.gateway.js';
import { LinkRecovery } from './link-recovery.js';
import { PresenceService } from './presence.service.js';
import { RealtimePublisher } from './realtime.publisher.js';
import { RealtimeServer } from './realtime.server.js';
import { SocketGateways } from './socket-gateways.js';
import { SocketQuota } from './socket-quota.js';

/**
 * The realtime core every gateway stands on: the socket server and its gateways, channels, delivery, presence, and
 * the count of what is in flight (REST requests and socket events) that a shutdown drains.
 */
@Global()
@Module({
  imports: [AuthModule, DiscoveryModule],
  providers: [
    InFlight,
    RealtimeServer,
    RealtimePublisher,
    ChannelRegistry,
    ChannelService,
    PresenceService,
    SocketQuota,
    SocketGateways,
    ChannelsGateway,
    LinkRecovery,
    { provide: AccountSockets, useClass: RealtimeAccountSockets },
  ],
  exports: [InFlight, AccountSockets, RealtimePublisher, ChannelRegistry, ChannelService, PresenceService],
})
export class RealtimeModule {}
