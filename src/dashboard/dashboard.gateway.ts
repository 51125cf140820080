import { MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { Actor, Roles } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { EmptyDto } from '../realtime/dto/channel.dto.js';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator.js';
import { DashboardService } from './dashboard.service.js';
import type { StatsDto } from './dto/stats.dto.js';

@RealtimeGateway()
@Roles('admin')
export class DashboardGateway {
  constructor(private readonly dashboard: DashboardService) {}

  @SubscribeMessage('get_stats')
  getStats(@Actor() actor: Principal, @MessageBody() _dto: EmptyDto): Promise<StatsDto> {
    return this.dashboard.read(actor);
  }
}
