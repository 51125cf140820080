import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { DashboardModule } from '../dashboard/dashboard.module.js';
import { KioskSession } from './kiosk-session.entity.js';
import { KioskEvents } from './kiosk-events.js';
import { KioskGateway } from './kiosk.gateway.js';
import { KioskScheduler } from './kiosk.scheduler.js';
import { KioskSessionsController } from './kiosk-sessions.controller.js';
import { KioskSessionsRepository } from './kiosk-sessions.repository.js';
import { KioskSessionsService } from './kiosk-sessions.service.js';
import { WorkstationAccessCache } from './workstation-access.cache.js';
import { Workstation } from './workstation.entity.js';
import { WorkstationsController } from './workstations.controller.js';
import { WorkstationsRepository } from './workstations.repository.js';
import { WorkstationsService } from './workstations.service.js';

/** Timed sessions on public workstations: access codes, the live countdown, warnings and expiry. */
@Module({
  imports: [AuthModule, DashboardModule, TypeOrmModule.forFeature([Workstation, KioskSession])],
  controllers: [WorkstationsController, KioskSessionsController],
  providers: [
    KioskSessionsRepository,
    WorkstationsRepository,
    WorkstationAccessCache,
    KioskEvents,
    WorkstationsService,
    KioskSessionsService,
    KioskScheduler,
    KioskGateway,
  ],
})
export class KioskModule {}
