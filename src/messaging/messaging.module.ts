import { Module } from '@nestjs/common';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsService } from './conversations.service.js';
import { MessagesService } from './messages.service.js';
import { MessagingPresenceService } from './messaging-presence.service.js';
import { MessagingGateway } from './messaging.gateway.js';
import { MessagingRepository } from './messaging.repository.js';
import { PresenceController } from './presence.controller.js';
import { TypingService } from './typing.service.js';

/** Conversations, messages, read marks, typing, and who may see whose presence. */
@Module({
  controllers: [ConversationsController, PresenceController],
  providers: [
    MessagingRepository,
    ConversationsService,
    MessagesService,
    TypingService,
    MessagingPresenceService,
    MessagingGateway,
  ],
})
export class MessagingModule {}
