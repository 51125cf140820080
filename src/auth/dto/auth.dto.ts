import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { normalEmail, normalText } from '../account-text.js';
import { ACCOUNT_ROLES, type AccountRole } from '../user.entity.js';

const text = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? normalText(value) : value);
const email = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? normalEmail(value) : value);

export class RegisterDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'ada@example.com' })
  @Transform(email)
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  password: string;

  @ApiProperty({ minLength: 1, maxLength: 80, example: 'Ada Lovelace' })
  @Transform(text)
  @IsString()
  @MinLength(1)
  @MaxLength(80)
  displayName: string;
}

export class LoginDto {
  @ApiProperty({ minLength: 1, maxLength: 254, example: 'ada@example.com' })
  @Transform(email)
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
  @Transform(text)
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
