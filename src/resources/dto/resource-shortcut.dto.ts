import { ApiProperty } from '@nestjs/swagger';
import { IsUuid } from '../../common/uuid-param.js';

/** `subscribe:resource`: a shortcut for `subscribe` to `resource:updates:{resourceId}`. */
export class ResourceShortcutDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  resourceId: string;
}
