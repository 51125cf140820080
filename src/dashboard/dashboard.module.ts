import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller.js';
import { DashboardEvents } from './dashboard-events.js';
import { DashboardGateway } from './dashboard.gateway.js';
import { DashboardRepository } from './dashboard.repository.js';
import { DashboardService } from './dashboard.service.js';
import { StatsClock } from './stats-clock.js';
import { UserRegistrationsSubscriber } from './user-registrations.subscriber.js';

/**
 * Live statistics for admins. Modules whose writes move a count (kiosk) import it for its one port,
 * `DashboardEvents.changed()`.
 */
@Module({
  controllers: [DashboardController],
  providers: [
    DashboardEvents,
    StatsClock,
    DashboardRepository,
    DashboardService,
    DashboardGateway,
    UserRegistrationsSubscriber,
  ],
  exports: [DashboardEvents],
})
export class DashboardModule {}
