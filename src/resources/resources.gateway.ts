// Socket events of resources: the `subscribe:resource` shortcut (ResourcesService registers the channel and its rule).
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { channels } from '@realtime-hub/protocol';
import type { Socket } from 'socket.io';
import { Roles } from '../auth/decorators.js';
import { ALL_ROLES } from '../auth/principal.js';
import { ChannelService, type Subscribed } from '../realtime/channel.service.js';
import { ResourceShortcutDto } from './dto/resource-shortcut.dto.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';

@RealtimeGateway()
@Roles(...ALL_ROLES)
export class ResourcesGateway {
  constructor(private readonly channels: ChannelService) {}

  @SubscribeMessage('subscribe:resource')
  subscribeResource(@ConnectedSocket() socket: Socket, @MessageBody() dto: ResourceShortcutDto): Promise<Subscribed> {
    return this.channels.subscribe(socket, channels.resource(dto.resourceId));
  }
}
