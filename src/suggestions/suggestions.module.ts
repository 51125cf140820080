import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { SuggestionsController } from './suggestions.controller.js';
import { SuggestionsService } from './suggestions.service.js';

@Module({ imports: [NotificationsModule], controllers: [SuggestionsController], providers: [SuggestionsService] })
export class SuggestionsModule {}
