import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, Authenticated } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { DashboardService } from './dashboard.service.js';
import { StatsDto } from './dto/stats.dto.js';

@ApiTags('dashboard')
@Authenticated('admin')
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('stats')
  @ApiOperation({
    summary: 'Live statistics',
    description: 'Subscribe to the `dashboard` channel for `stats_update` events instead of polling.',
  })
  @ApiOkResponse({ type: StatsDto })
  stats(@Actor() actor: Principal): Promise<StatsDto> {
    return this.dashboard.read(actor);
  }
}
