import { Global, Module } from '@nestjs/common';
import { ChannelRegistry } from './channel-registry.js';
import { ChannelService } from './channel.service.js';
import { ChannelsGateway } from './channels.gateway.js';
import { PresenceService } from './presence.service.js';
import { RealtimePublisher } from './realtime.publisher.js';
import { RealtimeServer } from './realtime.server.js';
import { SocketQuota } from './socket-quota.js';

@Global()
@Module({
  providers: [
    RealtimeServer,
    RealtimePublisher,
    ChannelRegistry,
    ChannelService,
    PresenceService,
    SocketQuota,
    ChannelsGateway,
  ],
  exports: [RealtimeServer, RealtimePublisher, ChannelRegistry, ChannelService, PresenceService],
})
export class RealtimeModule {}
