import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ACCOUNT_ROLES, type AccountRole } from '../user.entity.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const lower = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class RegisterDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'ada@example.com' })
  @Transform(lower)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;

  @ApiProperty({ minLength: 1, maxLength: 80, example: 'Ada Lovelace' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(80)
  displayName: string;
}

export class LoginDto {
  @ApiProperty({ minLength: 1, maxLength: 254, example: 'ada@example.com' })
  @Transform(lower)
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: ACCOUNT_ROLES }) role: AccountRole;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class AdminUserDto extends UserDto {
  @ApiProperty() disabled: boolean;
}

export class PublicUserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() displayName: string;
}

export class AuthResponseDto {
  @ApiProperty() accessToken: string;
  @ApiProperty({ type: UserDto }) user: UserDto;
}

export class RefreshResponseDto {
  @ApiProperty() accessToken: string;
}

export class UserSearchQueryDto {
  @ApiPropertyOptional({
    description: 'Prefix of the display name (admins: of the name or the email), case-insensitive',
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(80)
  query?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ACCOUNT_ROLES })
  @IsOptional()
  @IsIn(ACCOUNT_ROLES)
  role?: AccountRole;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
