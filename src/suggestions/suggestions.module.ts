import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { SuggestionsController } from './suggestions.controller.js';
import { SuggestionsGateway } from './suggestions.gateway.js';
import { SuggestionsRepository } from './suggestions.repository.js';
import { SuggestionsService } from './suggestions.service.js';

@Module({
  imports: [NotificationsModule],
  controllers: [SuggestionsController],
  providers: [SuggestionsRepository, SuggestionsService, SuggestionsGateway],
})
export class SuggestionsModule {}
