import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';

export const MAX_PRESENCE_IDS = 100;

/** `?userIds=a,b` (also accepted repeated: `?userIds=a&userIds=b`). */
const splitIds = ({ value }: { value: unknown }): unknown => {
  const parts = Array.isArray(value) ? value : [value];
  if (!parts.every((p) => typeof p === 'string')) return value;
  return [
    ...new Set(
      (parts as string[])
        .flatMap((p) => p.split(','))
        .map((p) => p.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
};

export class PresenceQueryDto {
  @ApiProperty({ type: String, description: `Comma-separated user ids (UUIDs), 1..${MAX_PRESENCE_IDS}` })
  @Transform(splitIds)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PRESENCE_IDS)
  @IsUUID(undefined, { each: true })
  userIds: string[];
}

export class PresenceDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() online: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt: string | null;
}

export class PresenceListDto {
  @ApiProperty({ type: [PresenceDto] }) items: PresenceDto[];
}
