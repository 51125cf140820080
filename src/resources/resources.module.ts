import { Module } from '@nestjs/common';
import { ResourcesController } from './resources.controller.js';
import { ResourcesGateway } from './resources.gateway.js';
import { ResourcesRepository } from './resources.repository.js';
import { ResourcesService } from './resources.service.js';

/** Shared JSON documents edited with merge patches; live on `resource:updates:{id}` (ResourcesGateway's `subscribe:resource` joins it). */
@Module({
  controllers: [ResourcesController],
  providers: [ResourcesRepository, ResourcesService, ResourcesGateway],
})
export class ResourcesModule {}
