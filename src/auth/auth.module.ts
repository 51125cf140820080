import { Module } from '@nestjs/common';
import { AccountStateCache } from './account-state.cache.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AppSecretsRepository } from './app-secrets.repository.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { LastSeenRepository } from './last-seen.repository.js';
import { PrincipalRegistry } from './principal.registry.js';
import { TokenService } from './token.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/**
 * Identity: tokens and who may hold them, and the account routes. Modules that verify or issue tokens import it
 * (the realtime core, jobs, kiosk); closing an account's sockets goes through the AccountSockets port the core provides.
 */
@Module({
  controllers: [AuthController, UsersController],
  providers: [
    UsersRepository,
    AppSecretsRepository,
    TokenService,
    PrincipalRegistry,
    AccountStateCache,
    AuthService,
    UsersService,
    AdminBootstrapService,
    LastSeenRepository,
  ],
  exports: [TokenService, PrincipalRegistry, AccountStateCache, LastSeenRepository],
})
export class AuthModule {}
