import { ApiProperty } from '@nestjs/swagger';
import { IsUuid } from '../../common/uuid-param.js';

/** `subscribe:job`: a shortcut for `subscribe` to `job:{jobId}`. */
export class JobShortcutDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  jobId: string;
}
