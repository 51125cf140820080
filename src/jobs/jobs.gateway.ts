// Socket events of jobs: the `subscribe:job` shortcut (JobsService registers the channel and its rule).
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { channels } from '@realtime-hub/protocol';
import type { Socket } from 'socket.io';
import { Roles } from '../auth/decorators.js';
import { ALL_ROLES } from '../auth/principal.js';
import { ChannelService, type Subscribed } from '../realtime/channel.service.js';
import { JobShortcutDto } from './dto/job-shortcut.dto.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';

@RealtimeGateway()
@Roles(...ALL_ROLES)
export class JobsGateway {
  constructor(private readonly channels: ChannelService) {}

  @SubscribeMessage('subscribe:job')
  subscribeJob(@ConnectedSocket() socket: Socket, @MessageBody() dto: JobShortcutDto): Promise<Subscribed> {
    return this.channels.subscribe(socket, channels.job(dto.jobId));
  }
}
