// The core gateway: connection lifecycle, subscribe / unsubscribe, and auth:refresh. Shortcuts to a feature's
// channels (`subscribe:resource`, ...) live in that feature's gateway.
import { Logger, type OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { CHANNEL_PATTERNS } from '@realtime-hub/protocol';
import { Roles } from '../auth/decorators.js';
import { ALL_ROLES, isAccount, type Principal } from '../auth/principal.js';
import { PrincipalRegistry } from '../auth/principal.registry.js';
import { clientIp, type TrustFunction, trustFunction } from '../common/client-ip.js';
import { DomainException } from '../common/domain.exception.js';
import { isDependencyUnavailable } from '../common/unavailable.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ChannelRegistry } from './channel-registry.js';
import { ChannelService, type SocketData, type Subscribed } from './channel.service.js';
import { AuthRefreshDto, ChannelDto } from './dto/channel.dto.js';
import { PresenceService } from './presence.service.js';
import { RealtimeGateway } from './realtime-gateway.decorator.js';
import { RealtimeServer } from './realtime.server.js';
import { SocketGateways } from './socket-gateways.js';
import { installPacketMiddleware } from './socket-packets.js';
import { SocketQuota } from './socket-quota.js';
import { armTokenTimers, clearTokenTimers } from './token-expiry.js';
import { createWsAuthMiddleware } from './ws-auth.middleware.js';

@RealtimeGateway()
@Roles(...ALL_ROLES)
export class ChannelsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleInit {
  private readonly logger = new Logger('ChannelsGateway');
  private readonly trustProxy: TrustFunction;

  constructor(
    private readonly config: AppConfig,
    private readonly realtime: RealtimeServer,
    private readonly principals: PrincipalRegistry,
    private readonly registry: ChannelRegistry,
    private readonly channels: ChannelService,
    private readonly presence: PresenceService,
    private readonly metrics: MetricsService,
    private readonly quota: SocketQuota,
    private readonly gateways: SocketGateways,
  ) {
    this.trustProxy = trustFunction(config.trustProxy);
  }

  onModuleInit(): void {
    this.registry.register({
      pattern: CHANNEL_PATTERNS.user,
      authorize: async (principal, { userId }) => {
        if (principal.id !== userId || !isAccount(principal)) throw DomainException.forbidden();
      },
    });
  }

  afterInit(server: Server): void {
    this.realtime.attach(server);
    server.use(
      createWsAuthMiddleware(this.principals, {
        onAuthenticated: (socket) => {
          installPacketMiddleware(
            socket,
            this.gateways,
            this.metrics,
            this.config.ws.rateLimit,
            this.config.ws.rateBurst,
          );
        },
        clientIpOf: (request) => clientIp(request, this.trustProxy),
        admit: (principal, socket) => this.quota.acquire(principal, socket.id),
        release: (principal, socket) => {
          this.quota.release(principal, socket.id).catch((err: unknown) => {
            this.logger.warn({ err: (err as Error).message }, 'Socket place release failed');
          });
        },
      }),
    );
  }

  async handleConnection(socket: Socket): Promise<void> {
    this.metrics.socketsConnected.inc();
    const principal = (socket.data as Partial<SocketData>).principal;
    if (!principal) return;
    armTokenTimers(socket, principal.expiresAt, 'notice');
    // Presence is counted whatever the check answers: a socket it closes leaves through handleDisconnect, which counts
    // it out again.
    const [, presence] = await Promise.allSettled([
      this.closeIfRevoked(socket, principal),
      this.presence.connected(principal),
    ]);
    if (presence.status === 'rejected') {
      this.logger.warn({ err: (presence.reason as Error).message }, 'Presence update on connect failed');
    }
  }

  /**
   * Checks the token once more now that the socket is connected: a logout or a role change that committed while the
   * handshake was in flight (between its token check and its connection) swept the account's sockets before this one
   * was among them, since Socket.IO reaches only connected sockets. Any later sweep reaches it, so this check closes
   * the gap. A dependency that cannot be asked says nothing of the token: the socket stays, as it does for an event
   * (WsJwtGuard).
   */
  private async closeIfRevoked(socket: Socket, principal: Principal): Promise<void> {
    try {
      await this.principals.assertCurrent(principal.id, principal.tokenVersion, principal.role);
    } catch (err) {
      // Unless an auth:refresh handed the socket a token of its own meanwhile: the guard checks that one.
      const current = (socket.data as SocketData).principal === principal;
      if (current && !isDependencyUnavailable(err)) socket.disconnect(true);
    }
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    this.metrics.socketsConnected.dec();
    clearTokenTimers(socket);
    const principal = (socket.data as Partial<SocketData>).principal;
    if (!principal) return;
    // Presence first, in this tick: its grace timer must exist before a shutdown clears them.
    // Both awaited together: one failing while the other is still pending (Redis unreachable: both do) must not go
    // unhandled meanwhile.
    const [presence, release] = await Promise.allSettled([
      this.presence.disconnected(principal),
      this.quota.release(principal, socket.id),
    ]);
    if (presence.status === 'rejected') {
      this.logger.warn({ err: (presence.reason as Error).message }, 'Presence update on disconnect failed');
    }
    if (release.status === 'rejected') {
      this.logger.warn({ err: (release.reason as Error).message }, 'Socket place release failed');
    }
  }

  @SubscribeMessage('subscribe')
  subscribe(@ConnectedSocket() socket: Socket, @MessageBody() dto: ChannelDto): Promise<Subscribed> {
    return this.channels.subscribe(socket, dto.channel);
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() dto: ChannelDto): Promise<{ channel: string }> {
    return this.channels.unsubscribe(socket, dto.channel);
  }

  /** Replaces the socket's token without reconnecting; only for a token of the same subject and role. */
  @SubscribeMessage('auth:refresh')
  async refresh(@ConnectedSocket() socket: Socket, @MessageBody() dto: AuthRefreshDto): Promise<{ expiresAt: string }> {
    const data = socket.data as SocketData;
    const next = await this.principals.authenticate(dto.token);
    if (next.id !== data.principal.id || next.role !== data.principal.role) {
      throw DomainException.forbidden('The new token belongs to another subject');
    }
    data.principal = next;
    armTokenTimers(socket, next.expiresAt, 'none');
    return { expiresAt: new Date(next.expiresAt).toISOString() };
  }
}
