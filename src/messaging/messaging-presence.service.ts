// Who may watch whose presence: the user themself, and users sharing a conversation with them.
// The core PresenceService counts sockets and publishes `presence` to `presence:{userId}`.
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CHANNEL_PATTERNS } from '@realtime-hub/protocol';
import { isAccount, type Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import type { PresencePayload } from '../realtime/client-events.js';
import { PresenceService } from '../realtime/presence.service.js';
import { MessagingRepository } from './messaging.repository.js';

@Injectable()
export class MessagingPresenceService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: MessagingRepository,
    private readonly registry: ChannelRegistry,
    private readonly presence: PresenceService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      pattern: CHANNEL_PATTERNS.presence,
      authorize: (principal, { userId }) => this.assertVisible(principal, userId),
      snapshot: async (principal, { userId }) => {
        await this.assertVisible(principal, userId);
        return this.presence.snapshot(userId);
      },
    });
  }

  /** A user's presence is visible to themselves and to the users sharing a conversation with them. */
  private async assertVisible(principal: Principal, userId: string): Promise<void> {
    if (!isAccount(principal)) throw DomainException.forbidden();
    if (principal.id === userId) return;
    const m = this.dataSource.manager;
    if (!(await this.repository.userExists(m, userId))) throw DomainException.notFound('User');
    if (!(await this.repository.sharingWith(m, principal.id, [userId])).has(userId)) {
      throw DomainException.forbidden('Presence is visible to users sharing a conversation');
    }
  }

  /** Snapshots of the requested users whose presence channel the caller may join; the others are left out. */
  async visible(actor: Principal, userIds: string[]): Promise<{ items: PresencePayload[] }> {
    const shared = await this.repository.sharingWith(this.dataSource.manager, actor.id, userIds);
    const allowed = userIds.filter((id) => id === actor.id || shared.has(id));
    return { items: await this.presence.snapshots(allowed) };
  }
}
