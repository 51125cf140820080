// The kiosk's events (kiosk tokens only), and the workstation's presence: a kiosk socket connecting brings the
// workstation back, its last socket leaving starts the countdown to `offline`.
import { Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
} from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { Actor, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { DomainException } from '../common/domain.exception.js';
import { ErrorCode } from '../common/error-codes.js';
import { ChannelService, type SocketData } from '../realtime/channel.service.js';
import { EmptyDto } from '../realtime/dto/channel.dto.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';
import type { HeartbeatDto, KioskSessionEnvelopeDto, TimeUpdateDto } from './dto/kiosk.dto.js';
import { KioskSessionIdDto, ValidateCodeDto } from './dto/kiosk.dto.js';
import { KioskSessionsService } from './kiosk-sessions.service.js';
import { KioskEvents, workstationRoom } from './kiosk-events.js';
import { WorkstationsService } from './workstations.service.js';

function kioskOf(socket: Socket): Principal | undefined {
  const principal = (socket.data as Partial<SocketData> | undefined)?.principal;
  return principal?.role === 'kiosk' ? principal : undefined;
}

@RealtimeGateway()
@Roles('kiosk')
export class KioskGateway implements OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('KioskGateway');

  constructor(
    private readonly sessions: KioskSessionsService,
    private readonly workstations: WorkstationsService,
    private readonly events: KioskEvents,
    private readonly rooms: ChannelService,
  ) {}

  async handleConnection(socket: Socket): Promise<void> {
    const kiosk = kioskOf(socket);
    if (!kiosk) return;
    try {
      await this.workstations.connected(kiosk);
    } catch (err) {
      this.logger.warn({ err, workstationId: kiosk.id }, 'Could not mark the workstation online');
    }
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    const kiosk = kioskOf(socket);
    if (!kiosk) return;
    try {
      // The leaving socket is already out of its rooms; other sockets of the workstation may be on any instance.
      const remaining = await this.rooms.principalsIn(workstationRoom(kiosk.id));
      if (remaining.length === 0) await this.workstations.lastSocketLeft(kiosk);
    } catch (err) {
      this.logger.warn({ err, workstationId: kiosk.id }, 'Could not record that the workstation left');
    }
  }

  @SubscribeMessage('validate_code')
  async validateCode(
    @Actor() actor: Principal,
    @MessageBody() dto: ValidateCodeDto,
    @ConnectedSocket() socket: Socket,
  ): Promise<KioskSessionEnvelopeDto> {
    const check = await this.sessions.validateCode(actor, dto, {
      join: (channel) => socket.join(channel),
      leave: (channel) => socket.leave(channel),
      announce: (session) => this.events.toSocket(socket.id, 'code_valid', { session }),
    });
    if (!check.valid) {
      this.events.toSocket(socket.id, 'code_invalid', { reason: check.reason });
      throw new DomainException(ErrorCode.INVALID_CODE, 'The access code is not valid', { reason: check.reason });
    }
    return { session: check.session };
  }

  @SubscribeMessage('start_session')
  async start(@Actor() actor: Principal, @MessageBody() dto: KioskSessionIdDto): Promise<KioskSessionEnvelopeDto> {
    return { session: await this.sessions.start(actor, dto.sessionId) };
  }

  @SubscribeMessage('get_time')
  async getTime(
    @Actor() actor: Principal,
    @MessageBody() dto: KioskSessionIdDto,
    @ConnectedSocket() socket: Socket,
  ): Promise<TimeUpdateDto> {
    const update = await this.sessions.timeOf(actor, dto.sessionId);
    this.events.toSocket(socket.id, 'time_update', update);
    return update;
  }

  @SubscribeMessage('end_session')
  async end(@Actor() actor: Principal, @MessageBody() dto: KioskSessionIdDto): Promise<KioskSessionEnvelopeDto> {
    return { session: await this.sessions.close(actor, dto.sessionId) };
  }

  @SubscribeMessage('heartbeat')
  heartbeat(@Actor() actor: Principal, @MessageBody() _dto: EmptyDto): Promise<HeartbeatDto> {
    return this.workstations.heartbeat(actor);
  }
}
