import { ApiProperty } from '@nestjs/swagger';
import type { StatsPayload } from '../../realtime/client-events.js';

export class UserStatsDto {
  @ApiProperty() total: number;
  @ApiProperty({ description: 'Users seen online in the last 24 h, or online now' }) active: number;
  @ApiProperty({ description: 'Registered since the start of this month (UTC)' }) newThisMonth: number;
}

export class SessionStatsDto {
  @ApiProperty() total: number;
  @ApiProperty() active: number;
  @ApiProperty() pending: number;
  @ApiProperty({ description: 'Ended since the start of this day (UTC)' }) endedToday: number;
}

export class WorkstationStatsDto {
  @ApiProperty() total: number;
  @ApiProperty() available: number;
  @ApiProperty() occupied: number;
  @ApiProperty() offline: number;
}

export class RealtimeStatsDto {
  @ApiProperty({ description: 'Open sockets on every instance' }) connections: number;
  @ApiProperty({ description: 'Users with at least one socket (or within their grace period)' }) onlineUsers: number;
}

export class StatsDto implements StatsPayload {
  @ApiProperty({ type: UserStatsDto }) users: UserStatsDto;
  @ApiProperty({ type: SessionStatsDto }) sessions: SessionStatsDto;
  @ApiProperty({ type: WorkstationStatsDto }) workstations: WorkstationStatsDto;
  @ApiProperty({ type: RealtimeStatsDto }) realtime: RealtimeStatsDto;
  @ApiProperty({ format: 'date-time', description: 'When the counts were read (database clock)' }) timestamp: string;
}
