import { ApiProperty } from '@nestjs/swagger';
import { IsJWT, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

export class ChannelDto {
  @ApiProperty({ example: 'suggestions:votes' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  channel: string;
}

export class ResourceShortcutDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  resourceId: string;
}

export class JobShortcutDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  jobId: string;
}

export class EmptyDto {}

export class AuthRefreshDto {
  @ApiProperty()
  @IsString()
  @IsJWT()
  token: string;
}
