import { Global, Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller.js';
import { DashboardEvents } from './dashboard-events.js';
import { DashboardGateway } from './dashboard.gateway.js';
import { DashboardService } from './dashboard.service.js';
import { StatsClock } from './stats-clock.js';
import { UserRegistrationsSubscriber } from './user-registrations.subscriber.js';

/**
 * Live statistics for admins. Global so that modules whose writes move a count (kiosk) can signal
 * `DashboardEvents.changed()` without importing this module.
 */
@Global()
@Module({
  controllers: [DashboardController],
  providers: [DashboardEvents, StatsClock, DashboardService, DashboardGateway, UserRegistrationsSubscriber],
  exports: [DashboardEvents],
})
export class DashboardModule {}
