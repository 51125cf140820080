import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsIP, IsOptional, IsString, Max, MaxLength, Min, MinLength, NotContains } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import type {
  KioskEndReason,
  KioskSessionPayload,
  KioskSessionStatus,
  TimeUpdatePayload,
  WorkstationPayload,
} from '../../realtime/client-events.js';
import { IsUuid } from '../../common/uuid-param.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

export const SESSION_STATUSES: KioskSessionStatus[] = ['pending', 'active', 'ended'];
export const END_REASONS: KioskEndReason[] = ['expired', 'closed', 'admin'];
export const WORKSTATION_STATUSES: WorkstationPayload['status'][] = ['available', 'occupied', 'offline'];
export const MAX_SESSION_SECONDS = 86400;

// ---- REST in

export class CreateWorkstationDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Town hall, desk 3' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NotContains('\u0000', { message: 'name must not contain NUL characters' })
  name: string;

  @ApiPropertyOptional({ example: '10.0.0.23', description: 'IPv4 or IPv6 address' })
  @IsOptional()
  @IsIP()
  ipAddress?: string;
}

export class CreateKioskSessionDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_SESSION_SECONDS,
    example: 3600,
    description: 'At least KIOSK_MIN_DURATION_SECONDS (default 60), at most 86400',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_SESSION_SECONDS)
  durationSeconds: number;

  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'Ada Lovelace' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NotContains('\u0000', { message: 'holderName must not contain NUL characters' })
  holderName?: string;
}

export class ExtendKioskSessionDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_SESSION_SECONDS,
    example: 600,
    description: 'Seconds to add',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_SESSION_SECONDS)
  seconds: number;
}

export class KioskSessionListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: SESSION_STATUSES })
  @IsOptional()
  @IsIn(SESSION_STATUSES)
  status?: KioskSessionStatus;
}

// ---- WS in

export class ValidateCodeDto {
  @ApiProperty({ example: 'K7Q2ZP', description: 'The access code (letters are matched case-insensitively)' })
  @Transform(upper)
  @IsString()
  @MinLength(1)
  @MaxLength(32)
  code: string;

  @ApiPropertyOptional({ example: '10.0.0.23', description: "The workstation's address, recorded on it" })
  @IsOptional()
  @IsIP()
  ipAddress?: string;
}

export class KioskSessionIdDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  sessionId: string;
}

// ---- out

export class WorkstationDto implements WorkstationPayload {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, nullable: true }) ipAddress: string | null;
  @ApiProperty({ enum: WORKSTATION_STATUSES }) status: WorkstationPayload['status'];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt: string | null;
}

export class CreatedWorkstationDto {
  @ApiProperty({ type: WorkstationDto }) workstation: WorkstationDto;
  @ApiProperty({ description: 'A kiosk JWT (role `kiosk`, subject the workstation) valid 365 days' }) token: string;
}

export class WorkstationTokenDto {
  @ApiProperty({ description: 'A new kiosk JWT; every older token of the workstation stops working' }) token: string;
}

export class WorkstationPageDto {
  @ApiProperty({ type: [WorkstationDto] }) items: WorkstationDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class KioskSessionDto implements KioskSessionPayload {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'K7Q2ZP', description: '6 of A-Z0-9' }) accessCode: string;
  @ApiProperty({ type: String, nullable: true }) holderName: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Set once a kiosk validated the code' })
  workstationId: string | null;
  @ApiProperty({ type: 'integer', description: 'The whole time granted, extensions included' })
  durationSeconds: number;
  @ApiProperty({
    type: 'integer',
    description: 'Whole seconds left (rounded up): the duration while pending, 0 once ended',
  })
  remainingSeconds: number;
  @ApiProperty({ enum: SESSION_STATUSES }) status: KioskSessionStatus;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endsAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt: string | null;
  @ApiProperty({ enum: END_REASONS, nullable: true }) endReason: KioskEndReason | null;
}

export class KioskSessionPageDto {
  @ApiProperty({ type: [KioskSessionDto] }) items: KioskSessionDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class KioskSessionEnvelopeDto {
  @ApiProperty({ type: KioskSessionDto }) session: KioskSessionDto;
}

export class TimeUpdateDto implements TimeUpdatePayload {
  @ApiProperty({ format: 'uuid' }) sessionId: string;
  @ApiProperty({ type: 'integer' }) remainingSeconds: number;
  @ApiProperty({ type: 'integer', description: 'remainingSeconds / 60, rounded up' }) remainingMinutes: number;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 }) percentUsed: number;
  @ApiProperty({ enum: SESSION_STATUSES }) status: KioskSessionStatus;
}

export class HeartbeatDto {
  @ApiProperty({ format: 'date-time' }) serverTime: string;
}
