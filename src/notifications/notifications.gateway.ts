import { MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { Actor } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';
import { NotificationIdDto, type ReadResultDto } from './dto/notifications.dto.js';
import { NotificationsService } from './notifications.service.js';

/** The WS twins of the REST read routes; the count reaches every device through `notifications:unread`. */
@RealtimeGateway()
export class NotificationsGateway {
  constructor(private readonly notifications: NotificationsService) {}

  @SubscribeMessage('notification:read')
  read(@Actor() actor: Principal, @MessageBody() dto: NotificationIdDto): Promise<ReadResultDto> {
    return this.notifications.markRead(actor, dto.id);
  }

  /** Takes `{}`; any payload (or none) is ignored, as there is nothing to choose. */
  @SubscribeMessage('notification:read_all')
  readAll(@Actor() actor: Principal): Promise<ReadResultDto> {
    return this.notifications.markAllRead(actor);
  }
}
