import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiExtraModels, getSchemaPath } from '@nestjs/swagger';
import { PageQueryDto, type Page } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import { Actor, Authenticated, Roles } from './decorators.js';
import { AdminUserDto, PublicUserDto, UpdateUserDto, UserSearchQueryDto } from './dto/auth.dto.js';
import type { Principal } from './principal.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Authenticated()
@ApiExtraModels(PublicUserDto, AdminUserDto)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({
    description: 'Users see `{id, displayName}`; admins see the whole User plus `disabled`',
    schema: {
      type: 'object',
      required: ['items', 'nextCursor'],
      properties: {
        items: {
          type: 'array',
          // anyOf, not oneOf: an admin's User has every field of a user's view, so it matches both.
          items: { anyOf: [{ $ref: getSchemaPath(PublicUserDto) }, { $ref: getSchemaPath(AdminUserDto) }] },
        },
        nextCursor: { type: 'string', nullable: true },
      },
    },
  })
  search(
    @Actor() actor: Principal,
    @Query() search: UserSearchQueryDto,
    @Query() page: PageQueryDto,
  ): Promise<Page<PublicUserDto | AdminUserDto>> {
    return this.users.search(actor, { ...search, ...page });
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOkResponse({ type: AdminUserDto })
  update(@Actor() actor: Principal, @UuidParam() id: string, @Body() dto: UpdateUserDto): Promise<AdminUserDto> {
    return this.users.update(actor, id, dto);
  }
}
