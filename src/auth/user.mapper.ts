import type { AdminUserDto, PublicUserDto, UserDto } from './dto/auth.dto.js';
import type { User } from './user.entity.js';

export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
  };
}

export function toAdminUserDto(user: User): AdminUserDto {
  return { ...toUserDto(user), disabled: user.disabled };
}

export function toPublicUserDto(user: Pick<User, 'id' | 'displayName'>): PublicUserDto {
  return { id: user.id, displayName: user.displayName };
}
