import type { ResourceDto } from './dto/resource.dto.js';
import type { JsonObject } from './merge-patch.js';
import type { Resource } from './resource.entity.js';

export function toResourceDto(resource: Resource): ResourceDto {
  return {
    id: resource.id,
    ownerId: resource.ownerId,
    name: resource.name,
    visibility: resource.visibility,
    data: resource.data as JsonObject,
    version: resource.version,
    updatedBy: resource.updatedBy,
    updatedAt: resource.updatedAt.toISOString(),
  };
}
