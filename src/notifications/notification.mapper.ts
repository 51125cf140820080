import type { NotificationDto } from './dto/notifications.dto.js';
import type { NotificationRow } from './notifications.repository.js';

export function toNotificationDto(row: NotificationRow): NotificationDto {
  return {
    id: row.id,
    seq: row.seq,
    userId: row.user_id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    readAt: row.read_at ? row.read_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
  };
}
