import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiCreatedResponse,
  ApiTags,
  ApiConflictResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiNoContentResponse,
} from '@nestjs/swagger';
import { Actor, Authenticated, Public } from './decorators.js';
import { AuthResponseDto, LoginDto, RefreshResponseDto, RegisterDto, UserDto } from './dto/auth.dto.js';
import type { Principal } from './principal.js';
import { AuthService } from './auth.service.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ description: 'CONFLICT: the email is taken' })
  @ApiTooManyRequestsResponse({
    description:
      'RATE_LIMITED: REGISTER_RATE_LIMIT registration attempts (refused ones included) from one IP within an hour',
  })
  register(@Body() dto: RegisterDto, @Ip() ip: string): Promise<AuthResponseDto> {
    return this.auth.register(dto, ip);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHORIZED: wrong email or password' })
  @ApiTooManyRequestsResponse({
    description: 'RATE_LIMITED: 10 failures for one email or 100 from one IP within 15 min',
  })
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<AuthResponseDto> {
    return this.auth.login(dto, ip);
  }

  @Post('refresh')
  @HttpCode(200)
  @Authenticated()
  @ApiOkResponse({ type: RefreshResponseDto })
  refresh(@Actor() actor: Principal): Promise<RefreshResponseDto> {
    return this.auth.refresh(actor);
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @ApiNoContentResponse({ description: 'Every token of the account stops working; its sockets are disconnected' })
  logout(@Actor() actor: Principal): Promise<void> {
    return this.auth.logout(actor);
  }

  @Get('me')
  @Authenticated()
  @ApiOkResponse({ type: UserDto })
  me(@Actor() actor: Principal): Promise<UserDto> {
    return this.auth.me(actor);
  }
}
