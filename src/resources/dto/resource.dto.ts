import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IfPresent } from '../../common/validation.js';
import type { JsonObject } from '../merge-patch.js';
import { MAX_DATA_BYTES } from '../resource-data.js';
import { RESOURCE_VISIBILITIES, type ResourceVisibility } from '../resource-access.js';

// Read by ResourceBodyPipe, not by class-transformer: `name` is trimmed there, `data` is kept as sent.
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what a Postgres text column refuses
const NO_NUL = /^[^\u0000]*$/;

export class CreateResourceDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Team board' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_NUL, { message: 'name must not contain U+0000' })
  name: string;

  @ApiProperty({ enum: RESOURCE_VISIBILITIES })
  @IsIn(RESOURCE_VISIBILITIES)
  visibility: ResourceVisibility;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: `Any JSON object of at most ${MAX_DATA_BYTES} bytes as compact JSON (else 413)`,
    example: { columns: ['todo', 'done'] },
  })
  @IsObject()
  data: JsonObject;
}

export class UpdateResourceDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IfPresent()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_NUL, { message: 'name must not contain U+0000' })
  name?: string;

  @ApiPropertyOptional({ enum: RESOURCE_VISIBILITIES })
  @IfPresent()
  @IsIn(RESOURCE_VISIBILITIES)
  visibility?: ResourceVisibility;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'A JSON merge patch (RFC 7396) applied to the stored data: `null` removes a member, objects merge, ' +
      'anything else replaces. Must be an object; the result must stay within the size limit.',
    example: { columns: ['todo', 'doing', 'done'], draft: null },
  })
  @IfPresent()
  @IsObject()
  data?: JsonObject;
}

export class ResourceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: RESOURCE_VISIBILITIES }) visibility: ResourceVisibility;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: JsonObject;
  @ApiProperty({ minimum: 1, description: 'Grows by one per change; also the ETag' }) version: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) updatedBy: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ResourcePageDto {
  @ApiProperty({ type: [ResourceDto] }) items: ResourceDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/** The fields of a PATCH as applied (name trimmed; data is the merge patch, not the result). */
export type ResourceChanges = Partial<Pick<UpdateResourceDto, 'name' | 'visibility' | 'data'>>;
