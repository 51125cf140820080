import { ApiHideProperty, ApiProperty } from '@nestjs/swagger';
import { IsJWT, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class ChannelDto {
  @ApiProperty({ example: 'suggestions:votes' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  channel: string;
}

/**
 * The payload of events without fields (`{}`). The global pipe (forbidUnknownValues) refuses a class without any
 * rule, which made every `{}` a VALIDATION_FAILED; this optional field, never read, gives the class a rule.
 */
export class EmptyDto {
  @ApiHideProperty()
  @IsOptional()
  readonly _?: never;
}

export class AuthRefreshDto {
  @ApiProperty()
  @IsString()
  @IsJWT()
  token: string;
}
