// Socket events of suggestions: the `subscribe:suggestions` shortcut (SuggestionsService registers the channel).
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { channels } from '@realtime-hub/protocol';
import type { Socket } from 'socket.io';
import { Roles } from '../auth/decorators.js';
import { ALL_ROLES } from '../auth/principal.js';
import { ChannelService, type Subscribed } from '../realtime/channel.service.js';
import { EmptyDto } from '../realtime/dto/channel.dto.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';

@RealtimeGateway()
@Roles(...ALL_ROLES)
export class SuggestionsGateway {
  constructor(private readonly channels: ChannelService) {}

  @SubscribeMessage('subscribe:suggestions')
  subscribeSuggestions(@ConnectedSocket() socket: Socket, @MessageBody() _dto: EmptyDto): Promise<Subscribed> {
    return this.channels.subscribe(socket, channels.suggestions());
  }
}
