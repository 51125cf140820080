// Workstations: created by admins with a 365-day kiosk token, token rotation, and their status as their sockets
// come and go (`available` / `occupied` follow the sessions, `offline` comes KIOSK_OFFLINE_SECONDS after the last
// socket left and is set by the scheduler's claim).
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { announceRevocation } from '../auth/revocation.js';
import type { Principal } from '../auth/principal.js';
import { TokenService } from '../auth/token.service.js';
import { DomainException } from '../common/domain.exception.js';
import { cursorField, decodeCursor, type Page, type PageQueryDto, pageLimit, toPage } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import { principalRoom } from '../realtime/principal-rooms.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { CreatedWorkstationDto, CreateWorkstationDto, WorkstationDto } from './dto/kiosk.dto.js';
import { KioskEvents, WORKSTATIONS_CHANNEL } from './kiosk-events.js';
import { toWorkstationPayload } from './kiosk.mapper.js';
import { WorkstationAccessCache } from './workstation-access.cache.js';
import { type OfflineClaim, WorkstationsRepository } from './workstations.repository.js';

export const KIOSK_TOKEN_TTL_SECONDS = 365 * 86400;

@Injectable()
export class WorkstationsService implements OnModuleInit {
  private readonly logger = new Logger('WorkstationsService');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: WorkstationsRepository,
    private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly access: WorkstationAccessCache,
    private readonly channels: ChannelRegistry,
    private readonly publisher: RealtimePublisher,
    private readonly events: KioskEvents,
  ) {}

  onModuleInit(): void {
    this.channels.register({
      pattern: WORKSTATIONS_CHANNEL,
      authorize: async (principal) => {
        if (principal.role !== 'admin') throw DomainException.forbidden();
      },
    });
  }

  /** A new workstation (offline until its kiosk connects) and its first token. */
  async create(dto: CreateWorkstationDto): Promise<CreatedWorkstationDto> {
    const row = await this.repository.insert(this.dataSource.manager, dto.name, dto.ipAddress ?? null);
    const { token } = await this.tokens.sign(
      { id: row.id, role: 'kiosk', tokenVersion: row.token_version },
      KIOSK_TOKEN_TTL_SECONDS,
    );
    this.events.workstationsChanged([row]);
    return { workstation: toWorkstationPayload(row), token };
  }

  /**
   * A new token; every older one stops working and its sockets are disconnected, on every instance. Once the new
   * version has committed the rotation has happened and answers the new token, whether or not the other instances
   * could be told at once (announceRevocation: they refuse the old tokens within their cache's age limit, 60 s).
   */
  async rotateToken(workstationId: string): Promise<{ token: string }> {
    const row = await this.repository.rotateToken(this.dataSource.manager, workstationId);
    if (!row) throw DomainException.notFound('Workstation');
    await announceRevocation(
      this.access,
      { disconnect: (id) => this.publisher.disconnectRoom(principalRoom('kiosk', id)) },
      workstationId,
      this.logger,
      'workstationId',
    );
    const { token } = await this.tokens.sign(
      { id: workstationId, role: 'kiosk', tokenVersion: row.token_version },
      KIOSK_TOKEN_TTL_SECONDS,
    );
    return { token };
  }

  /** Oldest first. */
  async list(query: PageQueryDto): Promise<Page<WorkstationDto>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
    const rows = await this.repository.page(this.dataSource.manager, {
      after: cursor && { createdAt: cursor[0], id: cursor[1] },
      take: limit + 1,
    });
    // The cursor keeps the timestamp's microseconds, which a JS Date would drop.
    return toPage(rows, limit, (r) => [r.cursor_created_at, r.id], toWorkstationPayload);
  }

  /** A kiosk socket connected: the workstation is back (occupied when it runs a session). */
  async connected(actor: Principal): Promise<void> {
    const rows = await this.repository.markConnected(this.dataSource.manager, actor.id);
    this.events.workstationsChanged(rows.filter((r) => r.status !== r.previous_status));
  }

  /** The workstation's last socket (on any instance) left: it goes offline after KIOSK_OFFLINE_SECONDS. */
  async lastSocketLeft(actor: Principal): Promise<void> {
    await this.repository.markLastSocketLeft(this.dataSource.manager, actor.id, this.config.kiosk.offlineSeconds);
  }

  async heartbeat(actor: Principal): Promise<{ serverTime: string }> {
    const now = await this.repository.markSeen(this.dataSource.manager, actor.id);
    return { serverTime: (now ?? new Date()).toISOString() };
  }

  /** Records the address a kiosk reports; admins hear of it when it changed. */
  async reportAddress(actor: Principal, ipAddress: string): Promise<void> {
    const rows = await this.repository.setAddress(this.dataSource.manager, actor.id, ipAddress);
    this.events.workstationsChanged(rows, false);
  }

  /**
   * Claims the workstations whose offline moment has come (clearing it, so one instance acts on each); the caller
   * checks that no socket came back and then calls `goOffline`.
   */
  async claimOfflineDue(): Promise<OfflineClaim[]> {
    return this.repository.claimOfflineDue(this.dataSource.manager);
  }

  /** Takes a claimed workstation offline, unless it was heard from since the claim (it came back meanwhile). */
  async goOffline(claim: OfflineClaim): Promise<void> {
    this.events.workstationsChanged(await this.repository.goOffline(this.dataSource.manager, claim));
  }

  /**
   * Claims, for one look, the workstations that seem online but were not heard from for KIOSK_OFFLINE_SECONDS (no
   * heartbeat, no socket coming or going): the instance that held their socket may have died without running its
   * disconnects. Claiming moves `last_seen_at` on, so one instance looks at each, once per such period.
   */
  async claimSilent(): Promise<string[]> {
    return this.repository.claimSilent(this.dataSource.manager, this.config.kiosk.offlineSeconds);
  }

  /** Silent workstations found with no socket anywhere: the offline pass takes them now (checking again). */
  async offlineNow(workstationIds: string[]): Promise<void> {
    await this.repository.offlineNow(this.dataSource.manager, workstationIds);
  }

  /** Puts a claim back (the socket check failed): the next pass tries again. */
  async retryOffline(workstationId: string): Promise<void> {
    await this.repository.retryOffline(this.dataSource.manager, workstationId);
  }
}
