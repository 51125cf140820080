import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** `subscribe:resource`: a shortcut for `subscribe` to `resource:updates:{resourceId}`. */
export class ResourceShortcutDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  resourceId: string;
}
