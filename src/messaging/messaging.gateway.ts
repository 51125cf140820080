// Messaging's socket events: message:send, message:read, typing; and the typist's last socket leaving.
import { Logger } from '@nestjs/common';
import { MessageBody, type OnGatewayDisconnect, SubscribeMessage } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { Actor } from '../auth/decorators.js';
import { isAccount, type Principal } from '../auth/principal.js';
import type { SocketData } from '../realtime/channel.service.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';
import { TypingDto, WsReadDto, WsSendMessageDto } from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';
import type { MessageView, ReadState } from './messaging.types.js';
import { TypingService } from './typing.service.js';

@RealtimeGateway()
export class MessagingGateway implements OnGatewayDisconnect {
  private readonly logger = new Logger('MessagingGateway');

  constructor(
    private readonly messages: MessagesService,
    private readonly typing: TypingService,
  ) {}

  async handleDisconnect(socket: Socket): Promise<void> {
    const principal = (socket.data as Partial<SocketData>).principal;
    if (!principal || !isAccount(principal)) return;
    try {
      await this.typing.socketLeft(principal.id);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, userId: principal.id }, 'Typing cleanup on disconnect failed');
    }
  }

  @SubscribeMessage('message:send')
  async send(@Actor() actor: Principal, @MessageBody() dto: WsSendMessageDto): Promise<MessageView> {
    const { conversationId, ...message } = dto;
    return (await this.messages.send(actor, conversationId, message)).value;
  }

  @SubscribeMessage('message:read')
  read(@Actor() actor: Principal, @MessageBody() dto: WsReadDto): Promise<ReadState> {
    return this.messages.read(actor, dto.conversationId, dto.seq);
  }

  @SubscribeMessage('typing')
  setTyping(@Actor() actor: Principal, @MessageBody() dto: TypingDto): Promise<Record<string, never>> {
    return this.typing.update(actor, dto);
  }
}
