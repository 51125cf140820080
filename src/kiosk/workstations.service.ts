// Workstations: created by admins with a 365-day kiosk token, token rotation, and their status as their sockets
// come and go (`available` / `occupied` follow the sessions, `offline` comes KIOSK_OFFLINE_SECONDS after the last
// socket left and is set by the scheduler's claim).
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { TokenService } from '../auth/token.service.js';
import { DomainException } from '../common/domain.exception.js';
import { cursorField, decodeCursor, type Page, type PageQueryDto, pageLimit, toPage } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { rowsOf } from '../database/query-results.js';
import { ChannelRegistry } from '../realtime/channel-registry.js';
import { principalRoom } from '../realtime/principal-rooms.js';
import { RealtimePublisher } from '../realtime/realtime.publisher.js';
import type { CreatedWorkstationDto, CreateWorkstationDto, WorkstationDto } from './dto/kiosk.dto.js';
import { KioskEvents, WORKSTATIONS_CHANNEL } from './kiosk-events.js';
import { toWorkstationPayload, workstationColumns, type WorkstationRow } from './kiosk.mapper.js';
import { WorkstationAccessCache } from './workstation-access.cache.js';

export const KIOSK_TOKEN_TTL_SECONDS = 365 * 86400;

type StatusRow = WorkstationRow & { previous_status: WorkstationRow['status'] };

@Injectable()
export class WorkstationsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
        return undefined;
      },
    });
  }

  /** A new workstation (offline until its kiosk connects) and its first token. */
  async create(dto: CreateWorkstationDto): Promise<CreatedWorkstationDto> {
    const rows: WorkstationRow[] = await this.dataSource.query(
      `INSERT INTO workstations (name, ip_address) VALUES ($1, $2) RETURNING ${workstationColumns()}`,
      [dto.name, dto.ipAddress ?? null],
    );
    const row = rows[0];
    const { token } = await this.tokens.sign(
      { id: row.id, role: 'kiosk', tokenVersion: row.token_version },
      KIOSK_TOKEN_TTL_SECONDS,
    );
    this.events.workstationsChanged([row]);
    return { workstation: toWorkstationPayload(row), token };
  }

  /** A new token; every older one stops working at once and its sockets are disconnected, on every instance. */
  async rotateToken(workstationId: string): Promise<{ token: string }> {
    const rows = rowsOf<WorkstationRow>(
      await this.dataSource.query(
        `UPDATE workstations SET token_version = token_version + 1 WHERE id = $1 RETURNING ${workstationColumns()}`,
        [workstationId],
      ),
    );
    if (rows.length === 0) throw DomainException.notFound('Workstation');
    await this.access.invalidate(workstationId);
    this.publisher.disconnectRoom(principalRoom('kiosk', workstationId));
    const { token } = await this.tokens.sign(
      { id: workstationId, role: 'kiosk', tokenVersion: rows[0].token_version },
      KIOSK_TOKEN_TTL_SECONDS,
    );
    return { token };
  }

  /** Oldest first. */
  async list(query: PageQueryDto): Promise<Page<WorkstationDto>> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, [cursorField.timestamp, cursorField.uuid]);
    const params: unknown[] = [limit + 1];
    let where = '';
    if (cursor) {
      const [createdAt, id] = cursor;
      where = `WHERE (created_at, id) > ($2::timestamptz, $3::uuid)`;
      params.push(createdAt, id);
    }
    // The cursor keeps the timestamp's microseconds, which a JS Date would drop.
    const rows: (WorkstationRow & { cursor_created_at: string })[] = await this.dataSource.query(
      `SELECT ${workstationColumns()}, created_at::text AS cursor_created_at FROM workstations ${where}
       ORDER BY created_at, id LIMIT $1`,
      params,
    );
    return toPage(rows, limit, (r) => [r.cursor_created_at, r.id], toWorkstationPayload);
  }

  /** A kiosk socket connected: the workstation is back (occupied when it runs a session). */
  async connected(actor: Principal): Promise<void> {
    const rows = rowsOf<StatusRow>(
      await this.dataSource.query(
        `UPDATE workstations w
         SET offline_at = NULL, last_seen_at = now(),
             status = CASE WHEN EXISTS (SELECT 1 FROM kiosk_sessions s WHERE s.workstation_id = w.id AND s.status = 'active')
                      THEN 'occupied' ELSE 'available' END
         FROM (SELECT id, status FROM workstations WHERE id = $1 FOR UPDATE) old
         WHERE w.id = old.id
         RETURNING ${workstationColumns('w')}, old.status AS previous_status`,
        [actor.id],
      ),
    );
    this.events.workstationsChanged(rows.filter((r) => r.status !== r.previous_status));
  }

  /** The workstation's last socket (on any instance) left: it goes offline after KIOSK_OFFLINE_SECONDS. */
  async lastSocketLeft(actor: Principal): Promise<void> {
    await this.dataSource.query(
      `UPDATE workstations SET offline_at = now() + make_interval(secs => $2), last_seen_at = now() WHERE id = $1`,
      [actor.id, this.config.kiosk.offlineSeconds],
    );
  }

  async heartbeat(actor: Principal): Promise<{ serverTime: string }> {
    const rows = rowsOf<{ now: Date }>(
      await this.dataSource.query(`UPDATE workstations SET last_seen_at = now() WHERE id = $1 RETURNING now()`, [
        actor.id,
      ]),
    );
    return { serverTime: (rows[0]?.now ?? new Date()).toISOString() };
  }

  /** Records the address a kiosk reports; admins hear of it when it changed. */
  async reportAddress(actor: Principal, ipAddress: string): Promise<void> {
    const rows = rowsOf<WorkstationRow>(
      await this.dataSource.query(
        `UPDATE workstations SET ip_address = $2 WHERE id = $1 AND ip_address IS DISTINCT FROM $2
         RETURNING ${workstationColumns()}`,
        [actor.id, ipAddress],
      ),
    );
    this.events.workstationsChanged(rows, false);
  }

  /**
   * Claims the workstations whose offline moment has come (clearing it, so one instance acts on each); the caller
   * checks that no socket came back and then calls `goOffline`.
   */
  async claimOfflineDue(): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await this.dataSource.query(`UPDATE workstations SET offline_at = NULL WHERE offline_at <= now() RETURNING id`),
    );
    return rows.map((r) => r.id);
  }

  async goOffline(workstationId: string): Promise<void> {
    const rows = rowsOf<WorkstationRow>(
      await this.dataSource.query(
        `UPDATE workstations SET status = 'offline' WHERE id = $1 AND status <> 'offline' AND offline_at IS NULL
         RETURNING ${workstationColumns()}`,
        [workstationId],
      ),
    );
    this.events.workstationsChanged(rows);
  }

  /**
   * Claims, for one look, the workstations that seem online but were not heard from for KIOSK_OFFLINE_SECONDS (no
   * heartbeat, no socket coming or going): the instance that held their socket may have died without running its
   * disconnects. Claiming moves `last_seen_at` on, so one instance looks at each, once per such period.
   */
  async claimSilent(): Promise<string[]> {
    const rows = rowsOf<{ id: string }>(
      await this.dataSource.query(
        `UPDATE workstations SET last_seen_at = now()
         WHERE status <> 'offline' AND offline_at IS NULL
           AND (last_seen_at IS NULL OR last_seen_at <= now() - make_interval(secs => $1))
         RETURNING id`,
        [this.config.kiosk.offlineSeconds],
      ),
    );
    return rows.map((r) => r.id);
  }

  /** Silent workstations found with no socket anywhere: the offline pass takes them now (checking again). */
  async offlineNow(workstationIds: string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE workstations SET offline_at = now()
       WHERE id = ANY($1::uuid[]) AND offline_at IS NULL AND status <> 'offline'`,
      [workstationIds],
    );
  }

  /** Puts a claim back (the socket check failed): the next pass tries again. */
  async retryOffline(workstationId: string): Promise<void> {
    await this.dataSource.query(`UPDATE workstations SET offline_at = now() WHERE id = $1 AND offline_at IS NULL`, [
      workstationId,
    ]);
  }

  /**
   * Within a session's transaction: the workstation is `occupied` while it runs an active session and `available`
   * after; an offline one stays offline (its status follows its sockets). Answers the rows that changed.
   */
  async followSessions(m: EntityManager, workstationIds: string[]): Promise<WorkstationRow[]> {
    if (workstationIds.length === 0) return [];
    return rowsOf<WorkstationRow>(
      await m.query(
        `UPDATE workstations w SET status = t.next
         FROM (
           SELECT id, CASE WHEN EXISTS (
               SELECT 1 FROM kiosk_sessions s WHERE s.workstation_id = workstations.id AND s.status = 'active'
             ) THEN 'occupied' ELSE 'available' END AS next
           FROM workstations WHERE id = ANY($1::uuid[])
         ) t
         WHERE w.id = t.id AND w.status <> 'offline' AND w.status <> t.next
         RETURNING ${workstationColumns('w')}`,
        [workstationIds],
      ),
    );
  }
}
