import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Resource } from './resource.entity.js';
import { ResourcesController } from './resources.controller.js';
import { ResourcesGateway } from './resources.gateway.js';
import { ResourcesService } from './resources.service.js';

/** Shared JSON documents edited with merge patches; live on `resource:updates:{id}` (ResourcesGateway's `subscribe:resource` joins it). */
@Module({
  imports: [TypeOrmModule.forFeature([Resource])],
  controllers: [ResourcesController],
  providers: [ResourcesService, ResourcesGateway],
})
export class ResourcesModule {}
